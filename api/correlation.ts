import { randomUUID } from 'node:crypto';
import type { Request } from 'express';

/** Keeps a caller's `X-Correlation-Id` when it is sane, otherwise mints one; it follows the order everywhere. */
export function correlationIdOf(req: Request): string {
  const header = req.header('x-correlation-id');
  return header && /^[\w.:-]{1,100}$/.test(header) ? header : randomUUID();
}
