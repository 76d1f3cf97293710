/**
 * Bytes written to MongoDB, read from the commands the driver's monitor sees: an insert writes its
 * documents; an update or findAndModify is counted at the size of its update specification (what
 * the client sends, close to what changes for `$set`/`$inc`, not the size of the document it
 * lands in); a delete writes nothing counted here. BSON sizes, as on the wire.
 */
import { BSON } from 'mongodb';
import { collectionOf, type StartedCommand } from './command-count';

const size = (doc: unknown): number => (doc && typeof doc === 'object' ? BSON.calculateObjectSize(doc) : 0);

/** Bytes one command writes, and the collection it writes them to (undefined for a command that writes nothing). */
export function bytesWritten({
  commandName,
  command,
}: StartedCommand): { collection: string; bytes: number } | undefined {
  const collection = collectionOf(commandName, command);
  if (!collection) return undefined;
  if (commandName === 'insert' && Array.isArray(command.documents))
    return { collection, bytes: command.documents.reduce((n: number, d) => n + size(d), 0) };
  if (commandName === 'update' && Array.isArray(command.updates)) {
    // An update statement's `u` is an update document, a replacement, or a pipeline (an array).
    const bytes = command.updates.reduce(
      (n: number, s: { u?: unknown }) =>
        n + (Array.isArray(s?.u) ? s.u.reduce((m: number, stage) => m + size(stage), 0) : size(s?.u)),
      0,
    );
    return { collection, bytes };
  }
  if (commandName === 'findAndModify' && command.update)
    return {
      collection,
      bytes: Array.isArray(command.update)
        ? command.update.reduce((m: number, stage) => m + size(stage), 0)
        : size(command.update),
    };
  return undefined;
}

/** process -> collection -> bytes. */
export type ByteTallies = Record<string, Record<string, number>>;

export function createByteCounter() {
  const tallies: ByteTallies = {};
  return {
    record(process: string, command: StartedCommand) {
      const written = bytesWritten(command);
      if (!written || written.bytes === 0) return;
      const byCollection = (tallies[process] ??= {});
      byCollection[written.collection] = (byCollection[written.collection] ?? 0) + written.bytes;
    },
    snapshot: (): ByteTallies => structuredClone(tallies),
  };
}

function combine(a: ByteTallies, b: ByteTallies, op: (x: number, y: number) => number): ByteTallies {
  const out: ByteTallies = {};
  for (const process of new Set([...Object.keys(a), ...Object.keys(b)])) {
    out[process] = {};
    for (const c of new Set([...Object.keys(a[process] ?? {}), ...Object.keys(b[process] ?? {})])) {
      const n = op(a[process]?.[c] ?? 0, b[process]?.[c] ?? 0);
      if (n !== 0) out[process][c] = n;
    }
  }
  return out;
}

export const bytesSince = (after: ByteTallies, before: ByteTallies) => combine(after, before, (x, y) => x - y);
export const addBytes = (a: ByteTallies, b: ByteTallies) => combine(a, b, (x, y) => x + y);

/** What a collection holds, for the report: the event log, a read model, or a service's own state. */
export type ByteKind = 'events' | 'read models' | 'other';

/**
 * Bytes per saga by kind: what the read side process writes is read models; what goes to the
 * given event collections is events; the rest (services' state documents, idempotency records,
 * checkpoints written by others) is other.
 */
export function bytesPerSaga(
  tallies: ByteTallies,
  sagas: number,
  eventCollections: ReadonlySet<string>,
  readSide = 'read side',
): Record<ByteKind, number> {
  const out: Record<ByteKind, number> = { events: 0, 'read models': 0, other: 0 };
  for (const [process, byCollection] of Object.entries(tallies)) {
    for (const [collection, bytes] of Object.entries(byCollection)) {
      const kind: ByteKind =
        process === readSide ? 'read models' : eventCollections.has(collection) ? 'events' : 'other';
      out[kind] += bytes;
    }
  }
  for (const k of Object.keys(out) as ByteKind[]) out[k] = sagas > 0 ? Math.round(out[k] / sagas) : NaN;
  return out;
}
