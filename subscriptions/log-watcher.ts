import type { ChangeStream, Db, ResumeToken } from 'mongodb';
import type { Logger } from '../infra/logger';

/**
 * One change stream on the event log per process, shared by every subscription in it: each insert
 * wakes them all. Subscriptions read the events themselves, by position, so the stream only has to
 * say "something was appended" — one stream instead of one per subscription keeps the database's
 * work flat as read models are added.
 */
export interface LogWatcher {
  /** Registers a callback for appends; returns the function that unregisters it. */
  onAppend(callback: () => void): () => void;
  /** Resume token of the last insert seen (stored with checkpoints). */
  resumeToken(): ResumeToken | null;
  close(): Promise<void>;
}

export function watchLog(db: Db, log: Logger, startAfter: ResumeToken | null = null, pollMs = 20): LogWatcher {
  const callbacks = new Set<() => void>();
  let token: ResumeToken | null = startAfter;
  let stream: ChangeStream | undefined;
  let closed = false;

  const notify = () => {
    for (const callback of callbacks) callback();
  };

  // Pull-driven (tryNext) rather than event-driven: each empty poll waits `pollMs` before the
  // next. A real MongoDB holds an empty getMore open on the server for a while anyway; the stand-in
  // answers at once and rescans its oplog each time, so an event-driven stream would spin.
  const run = async () => {
    while (!closed) {
      try {
        stream = db.collection('events').watch([{ $match: { operationType: 'insert' } }], { ...(token ? { startAfter: token } : {}), maxAwaitTimeMS: 500 });
        while (!closed) {
          const change = await stream.tryNext();
          if (change) {
            token = change._id;
            notify();
          } else {
            await new Promise((r) => setTimeout(r, pollMs));
          }
        }
      } catch (err) {
        if (closed) return;
        // A resume token the server no longer knows is the usual cause. Positions, not the stream,
        // decide what each subscription reads next, so a fresh stream loses nothing.
        log.warn({ err: String(err) }, 'change stream failed; reopening without its resume token');
        token = null;
        await stream?.close().catch(() => {});
        notify();
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  const running = run();

  return {
    onAppend(callback) {
      callbacks.add(callback);
      return () => callbacks.delete(callback);
    },
    resumeToken: () => token,
    async close() {
      closed = true;
      await stream?.close().catch(() => {});
      await running.catch(() => {});
    },
  };
}
