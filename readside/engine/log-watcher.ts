import type { ChangeStream, Db, ResumeToken } from 'mongodb';
import { GAP_TYPE, pauseAfterEmptyPoll, toStored, type EventDocument, type StoredEvent } from '../../eventstore';
import type { Logger } from '../../infra/logger';

/**
 * One change stream on the event log per process, shared by every subscription in it: each insert
 * wakes them all. One stream instead of one per subscription keeps the database's work flat as
 * read models are added.
 *
 * The stream also carries the inserted events themselves, and the watcher keeps the most recent
 * ones by position. A subscription whose next positions are all here takes them from memory
 * instead of reading the log again: that read is three round trips per wake-up, most of the
 * distance between a bare `watch()` and a read model. Only a run of consecutive positions is ever
 * served this way; anything else (a hole, a restart far behind) goes through the log, so the
 * position, never the stream's delivery order, decides what is handled next.
 */
export interface LogWatcher {
  /** Registers a callback for appends; returns the function that unregisters it. */
  onAppend(callback: () => void): () => void;
  /** Resume token of the last insert seen (stored with checkpoints). */
  resumeToken(): ResumeToken | null;
  /**
   * The events (and gap markers) at `from`, `from + 1`, … as long as they are consecutive, at most
   * `limit`: empty when `from` itself was not seen recently.
   */
  seen(from: number, limit: number): { events: StoredEvent[]; gaps: number[]; nextPosition: number };
  /**
   * The highest position the stream has delivered, or Infinity while that is unknown (before the
   * first insert, and after the stream was reopened without its resume token, when inserts may
   * have gone by unseen). A subscription that has handled up to here has nothing new to read.
   */
  highest(): number;
  close(): Promise<void>;
}

export interface WatchOptions {
  startAfter?: ResumeToken | null;
  /** Pause after an empty poll, where the server does not hold polls open itself (see below). */
  pollMs?: number;
  /** How many recent inserts are kept for `seen`. */
  keep?: number;
}

/**
 * Ten of the runner's batches (500 events): a subscription that far behind reads the log in full
 * batches, three round trips per 500 events, so memory beyond this buys next to nothing.
 */
export const KEPT_EVENTS = 5_000;

const MAX_AWAIT_MS = 500;

export function watchLog(db: Db, log: Logger, options: WatchOptions = {}): LogWatcher {
  const pollMs = options.pollMs ?? 5;
  const keep = options.keep ?? KEPT_EVENTS;
  const callbacks = new Set<() => void>();
  /**
   * What is kept is the event as subscriptions get it, never the driver's document: the document's
   * `_id` is an ObjectId whose 12 bytes are a slice of one of Node's shared 8 KiB buffer-pool slabs,
   * and keeping it keeps the whole slab (about 8 KiB per event under load, where the event itself
   * takes about 1 KiB).
   */
  const recent = new Map<number, StoredEvent>();
  let highest = Infinity;
  let token: ResumeToken | null = options.startAfter ?? null;
  let stream: ChangeStream | undefined;
  let closed = false;

  const notify = () => {
    for (const callback of callbacks) callback();
  };

  const remember = (doc: EventDocument | undefined) => {
    if (!doc || typeof doc.position !== 'number') return;
    recent.set(doc.position, toStored(doc));
    highest = highest === Infinity ? doc.position : Math.max(highest, doc.position);
    // A Map iterates in insertion order and positions arrive nearly in order, so dropping the
    // first-inserted keeps the newest, in constant time. (Dropping the lowest position instead
    // would scan every kept key per insert once the map is full, which at a few hundred events a
    // second is enough to make the lag grow.)
    while (recent.size > keep) recent.delete(recent.keys().next().value!);
  };

  // Pulled with tryNext. A replica set holds an empty poll open until an insert arrives or
  // maxAwaitTimeMS passes, so the loop is event-driven and never pauses; only a server that answers
  // at once is given a pause between polls (eventstore/server-seam.ts, 2).
  const run = async () => {
    while (!closed) {
      try {
        stream = db.collection('events').watch([{ $match: { operationType: 'insert' } }], {
          ...(token ? { startAfter: token } : {}),
          maxAwaitTimeMS: MAX_AWAIT_MS,
        });
        while (!closed) {
          const asked = performance.now();
          const change = await stream.tryNext();
          if (change) {
            token = change._id;
            remember((change as { fullDocument?: EventDocument }).fullDocument);
            notify();
          } else {
            const pause = pauseAfterEmptyPoll(performance.now() - asked, pollMs);
            if (pause > 0) await new Promise((r) => setTimeout(r, pause));
          }
        }
      } catch (err) {
        if (closed) return;
        // A resume token the server no longer knows is the usual cause. Positions, not the stream,
        // decide what each subscription reads next, so a fresh stream loses nothing.
        log.warn({ err: String(err) }, 'change stream failed; reopening without its resume token');
        token = null;
        highest = Infinity;
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
    highest: () => highest,
    seen(from, limit) {
      const events: StoredEvent[] = [];
      const gaps: number[] = [];
      let next = from;
      for (let event = recent.get(next); event && next < from + limit; event = recent.get(++next)) {
        if (event.type === GAP_TYPE) gaps.push(next);
        else events.push({ ...event });
      }
      return { events, gaps, nextPosition: next };
    },
    async close() {
      closed = true;
      await stream?.close().catch(() => {});
      await running.catch(() => {});
    },
  };
}
