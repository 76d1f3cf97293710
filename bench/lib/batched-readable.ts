/**
 * When documents of a read model reach a state, found without flooding the server: one batched
 * read of the pending ids every 10 ms ({ _id: { $in } }, served by the _id index on every server).
 * The saga scenario watches both sides' orders with it, each during its own rounds, so the MongoDB
 * work it causes falls on each side alike. `completed` resolves with the time from `since` to the
 * read that saw the document ready, and rejects when the verdict is a failure or the wait runs out.
 */
import type { Collection, Document, Filter } from 'mongodb';
import { log, now, sleep } from './util';

/** What one read says of a document: ready, not yet, or never (an Error saying why). */
export type Readiness = 'ready' | 'pending' | Error;

export function startBatchedReadable<D extends { _id: string }>(options: {
  /** Looked up at the first read (a read model's physical collection can be known only then). */
  collection: () => Promise<Collection<D>>;
  projection: Document;
  readiness: (doc: D) => Readiness;
  /** What is watched, for the timeout's message. */
  what: string;
  timeoutMs?: number;
}) {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const pending = new Map<string, { since: number; resolve: (ms: number) => void; reject: (e: Error) => void }>();
  const done: string[] = [];
  let stopped = false;
  let collection: Collection<D> | undefined;

  const loop = async () => {
    while (!stopped) {
      await sleep(10);
      if (pending.size === 0) continue;
      try {
        collection ??= await options.collection();
        const ids = [...pending.keys()];
        const docs = await collection
          .find({ _id: { $in: ids } } as Filter<D>, { projection: options.projection })
          .toArray();
        const at = now();
        for (const doc of docs as D[]) {
          const entry = pending.get(doc._id);
          if (!entry) continue;
          const readiness = options.readiness(doc);
          if (readiness === 'pending') continue;
          pending.delete(doc._id);
          if (readiness === 'ready') {
            done.push(doc._id);
            entry.resolve(at - entry.since);
          } else entry.reject(readiness);
        }
        for (const [id, entry] of pending) {
          if (at - entry.since <= timeoutMs) continue;
          pending.delete(id);
          entry.reject(new Error(`${options.what} ${id} not ready within ${timeoutMs / 1000} s`));
        }
      } catch (err) {
        // Tried again at the next tick; a document never seen ready times out.
        log(`  readability poll failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
  void loop();
  return {
    completed: (id: string, since: number) =>
      new Promise<number>((resolve, reject) => pending.set(id, { since, resolve, reject })),
    completedIds: () => [...done],
    stop: () => {
      stopped = true;
    },
  };
}
