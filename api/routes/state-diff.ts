/** One field that differs between two states: its dotted path, and its value in each (absent as null). */
export interface FieldChange {
  path: string;
  then: unknown;
  now: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The fields that differ between two plain states (what an aggregate's fold returns), leaves first
 * in the order the states name them. Objects are compared field by field; lists of the same length
 * item by item, lists that grew or shrank as a whole, since their items have no names to match by.
 */
export function stateChanges(then: unknown, now: unknown, path = ''): FieldChange[] {
  if (same(then, now)) return [];
  const at = (key: string | number) => (path ? `${path}.${key}` : String(key));
  if (isRecord(then) && isRecord(now)) {
    const keys = [...new Set([...Object.keys(then), ...Object.keys(now)])];
    return keys.flatMap((key) => stateChanges(then[key] ?? null, now[key] ?? null, at(key)));
  }
  if (Array.isArray(then) && Array.isArray(now) && then.length === now.length)
    return then.flatMap((item, i) => stateChanges(item ?? null, now[i] ?? null, at(i)));
  return [{ path: path || '$', then: then ?? null, now: now ?? null }];
}
