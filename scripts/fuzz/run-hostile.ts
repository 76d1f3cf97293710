import { randomUUID } from 'node:crypto';
import { hostileCases } from './hostile-cases';

export interface HostileResult {
  name: string;
  method: string;
  path: string;
  status: number;
  expected: number[];
  /** Sent with the request; every event a request writes carries it, so "wrote nothing" can be checked. */
  correlationId: string;
  errorShape: boolean;
}

/** Sends every hostile case and records what came back. */
export async function runHostileCases(
  baseUrl: string,
  vars: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<HostileResult[]> {
  const fill = (text: string) => text.replace(/\{(\w+)\}/g, (m, key: string) => vars[key] ?? m);
  const results: HostileResult[] = [];
  for (const c of hostileCases) {
    const correlationId = `hostile-${randomUUID()}`;
    const body = c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : fill(JSON.stringify(c.body));
    const res = await fetch(`${baseUrl}${fill(c.path)}`, {
      method: c.method,
      headers: {
        ...headers,
        'x-correlation-id': correlationId,
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...Object.fromEntries(Object.entries(c.headers ?? {}).map(([k, v]) => [k, fill(v)])),
      },
      body,
    });
    const text = await res.text();
    let errorShape = false;
    try {
      const parsed = JSON.parse(text);
      errorShape = typeof parsed?.error?.code === 'string' && typeof parsed?.error?.message === 'string';
    } catch {
      errorShape = false;
    }
    results.push({
      name: c.name,
      method: c.method,
      path: c.path,
      status: res.status,
      expected: c.expect,
      correlationId,
      errorShape,
    });
  }
  return results;
}
