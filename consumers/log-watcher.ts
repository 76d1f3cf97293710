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

export function watchLog(db: Db, log: Logger, startAfter: ResumeToken | null = null): LogWatcher {
  const callbacks = new Set<() => void>();
  let token: ResumeToken | null = startAfter;
  let stream: ChangeStream | undefined;
  let closed = false;

  const open = () => {
    if (closed) return;
    try {
      stream = db.collection('events').watch([{ $match: { operationType: 'insert' } }], token ? { startAfter: token } : {});
    } catch (err) {
      log.warn({ err: String(err) }, 'change stream could not open; retrying');
      setTimeout(open, 1_000);
      return;
    }
    stream.on('change', (change) => {
      token = change._id;
      for (const callback of callbacks) callback();
    });
    stream.on('error', (err) => {
      // A resume token the server no longer knows is the usual cause. Positions, not the stream,
      // decide what each subscription reads next, so a fresh stream loses nothing.
      log.warn({ err: String(err) }, 'change stream failed; reopening without its resume token');
      token = null;
      void stream?.close().catch(() => {});
      if (!closed) setTimeout(open, 500);
      for (const callback of callbacks) callback();
    });
  };
  open();

  return {
    onAppend(callback) {
      callbacks.add(callback);
      return () => callbacks.delete(callback);
    },
    resumeToken: () => token,
    async close() {
      closed = true;
      await stream?.close().catch(() => {});
    },
  };
}
