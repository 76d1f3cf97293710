import type { Db, ResumeToken } from 'mongodb';
import type { EventStore, StoredEvent } from '../../eventstore';
import type { Logger } from '../../infra/logger';
import {
  checkpoints,
  checkpointWriter,
  sharedCheckpointBatch,
  type CheckpointBatch,
  type CheckpointWriter,
} from './checkpoints';
import { watchLog, type LogWatcher } from './log-watcher';
import { retrying } from './retry';
import type { RunningSubscription, Subscription } from './types';

/**
 * How long a position that later ones overtook is awaited from the change stream before the log is
 * read for it (then it is an ordinary hole: looked at again every 50 ms, sealed after
 * `sealHolesOlderThanMs`).
 */
const OVERTAKEN_WAIT_MS = 100;
/** Progress ("nothing to do" included) is written at most this often. */
const PROGRESS_EVERY_MS = 1_000;
/** Under continuous load the checkpoint is written at most this often (always once caught up). */
const CHECKPOINT_EVERY_MS = 200;
/** …and never more than this many positions behind what was handled. */
export const CHECKPOINT_MAX_BEHIND = 50;

export interface RunnerOptions {
  db: Db;
  store: EventStore;
  log: Logger;
  batchSize?: number;
  /** A hole in the log older than this is sealed (the append that reserved it died). */
  sealHolesOlderThanMs?: number;
  /** Poll even without a change notification, as a safety net. */
  idlePollMs?: number;
  /** The process's shared change stream; one of its own is opened when absent. */
  watcher?: LogWatcher;
  /** Where checkpoint writes are sent together; the process's (per database handle) when absent. */
  checkpointBatch?: CheckpointBatch;
}

/**
 * Runs a subscription: reads the log in global position order from its checkpoint, hands each
 * event to `handle`, and stores the checkpoint behind it (./checkpoints.ts). A change stream on the events
 * collection wakes it as soon as something is appended (no polling delay); the position, not the
 * stream's delivery order, decides what is handled next, so two appends that commit out of
 * position order can never make it skip an event. If the stored resume token can no longer be
 * used (the oplog moved on), it simply opens a new stream: the position is what counts.
 */
export function runSubscription(subscription: Subscription, options: RunnerOptions): RunningSubscription {
  const { db, store, log } = options;
  const batchSize = options.batchSize ?? 500;
  const wanted = subscription.eventTypes ? new Set(subscription.eventTypes) : null;
  const cps = checkpoints(db);
  const checkpointId = subscription.checkpointId ?? subscription.name;
  let stopped = false;
  // -1 until the checkpoint has been read: nobody may mistake "not started" for "at the beginning".
  let position = -1;
  let resumeToken: ResumeToken | null = null;
  let wake: (() => void) | undefined;
  // Set by an append notice; a notice that arrives while a batch is being read is not lost.
  let dirty = false;
  let ownWatcher: LogWatcher | undefined;
  let unsubscribe: (() => void) | undefined;
  // Ordered by position, so each batch resolves from the front instead of scanning them all.
  const waiters: Array<{ position: number; resolve: (ok: boolean) => void }> = [];
  let lastProgressWrite = 0;
  let lastCheckpointWrite = 0;
  /** Whether anything this subscription handled lies beyond the written checkpoint. */
  let unwrittenApplied = false;
  /** The checkpoint, as long as this process owns it (see `epoch`). */
  let mine: { _id: string; epoch?: number } = { _id: checkpointId };

  /** Whether the last sleep ran out instead of being woken by an append. */
  let timedOut = true;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (dirty) {
        dirty = false;
        timedOut = false;
        resolve();
        return;
      }
      const timer = setTimeout(() => done(true), ms);
      function done(expired = false) {
        clearTimeout(timer);
        wake = undefined;
        timedOut = expired;
        resolve();
      }
      wake = done;
    });

  function listen(startAfter: ResumeToken | null) {
    const watcher = options.watcher ?? (ownWatcher = watchLog(db, log, { startAfter }));
    unsubscribe = watcher.onAppend(() => {
      dirty = true;
      wake?.();
    });
    return watcher;
  }

  const handleWithRetry = retrying(subscription, { cps, owner: () => mine, log, stopped: () => stopped });

  /** The position the subscription is waiting for the change stream to deliver, and since when. */
  let waiting: { next: number; since: number } | undefined;

  /**
   * What to handle next. What the change stream already delivered, when it continues exactly where
   * this subscription stands; otherwise (a hole, a restart far behind) the log itself. The log is
   * not read when the stream has delivered nothing beyond what was handled (read after every batch,
   * it would be a round trip per subscription per append); a wake-up by the timer always reads,
   * as the safety net.
   *
   * A position the stream has not delivered while it delivered later ones belongs to an append
   * that committed after a later one: its insert is usually a few milliseconds behind, and waiting
   * for the stream takes it from memory the moment it lands. Reading the log for it at once would
   * cost round trips that every event behind it waits for, the bulk of the slowest 1% of the lag
   * under load. It is awaited for OVERTAKEN_WAIT_MS, then read from the log like any hole.
   */
  async function nextBatch(
    watcher: LogWatcher,
  ): Promise<{ events: StoredEvent[]; gaps: number[]; nextPosition: number; hole: number | null; pauseMs?: number }> {
    const from = position + 1;
    const seen = watcher.seen(from, batchSize);
    if (seen.nextPosition > from) return { ...seen, hole: null };
    const highest = watcher.highest();
    const nothingYet = { events: [], gaps: [], nextPosition: from };
    if (!timedOut && highest <= position) return { ...nothingYet, hole: null };
    if (!timedOut && highest !== Infinity) {
      if (waiting?.next !== from) waiting = { next: from, since: Date.now() };
      const waited = Date.now() - waiting.since;
      if (waited < OVERTAKEN_WAIT_MS) return { ...nothingYet, hole: from, pauseMs: OVERTAKEN_WAIT_MS - waited };
    }
    return store.readAll({
      fromPosition: from,
      limit: batchSize,
      sealHolesOlderThanMs: options.sealHolesOlderThanMs ?? 5_000,
    });
  }

  /** Reads (and, under a lease, claims) the checkpoint; no writer when a newer holder owns it. */
  async function start(): Promise<{ writer: CheckpointWriter; resumeToken: ResumeToken | null } | undefined> {
    const saved = await cps.findOneAndUpdate(
      { _id: checkpointId },
      { $setOnInsert: { position: 0, resumeToken: null, updatedAt: new Date(), failures: 0 } },
      { upsert: true, returnDocument: 'after' },
    );
    position = saved!.position;
    if (subscription.epoch !== undefined) {
      const claimed = await cps.updateOne(
        { _id: checkpointId, $or: [{ epoch: { $lte: subscription.epoch } }, { epoch: { $exists: false } }] },
        { $set: { epoch: subscription.epoch } },
      );
      if (claimed.matchedCount === 0) {
        log.warn(
          { subscription: subscription.name, epoch: subscription.epoch },
          'a newer lease holder owns this checkpoint; not starting',
        );
        return;
      }
      // Read the position again: it may have moved between the read and the claim.
      position = (await cps.findOne({ _id: checkpointId }))!.position;
    }
    mine = subscription.epoch === undefined ? { _id: checkpointId } : { _id: checkpointId, epoch: subscription.epoch };
    const batch = options.checkpointBatch ?? sharedCheckpointBatch(db);
    const writer = checkpointWriter(
      cps,
      () => mine,
      position,
      {
        fenced() {
          // Another process holds the lease now. What this one wrote since its last checkpoint is
          // harmless (see subscriptions/leases.ts); stop here.
          log.warn(
            { subscription: subscription.name, epoch: subscription.epoch },
            'lease lost: checkpoint refused, stopping',
          );
          stopped = true;
          wake?.();
        },
        failed(err) {
          unwrittenApplied = true;
          log.warn(
            { err: String(err), subscription: subscription.name },
            'checkpoint write failed; written again with the next batch',
          );
        },
      },
      batch,
    );
    return { writer, resumeToken: saved!.resumeToken };
  }

  async function loop(writer: CheckpointWriter, startAfter: ResumeToken | null) {
    const watcher = listen(startAfter);
    while (!stopped) {
      try {
        // Handling never runs further ahead of the written checkpoint than a restart may redeliver.
        if (position - writer.written() >= CHECKPOINT_MAX_BEHIND) {
          if (position > writer.asked()) writer.write(position, resumeToken);
          await writer.settled();
          if (stopped) return;
          if (position - writer.written() >= CHECKPOINT_MAX_BEHIND)
            throw new Error('the checkpoint could not be written');
        }
        // Cleared before reading: a notice that arrives from here on is for something not yet read.
        dirty = false;
        const batch = await nextBatch(watcher);
        resumeToken = watcher.resumeToken();
        // Every subscription of the process is handed the same appended events at once: another
        // subscription's urgent checkpoint write waits briefly for this one's (./checkpoints.ts,
        // GATHER_CHECKPOINT_MS), so that they go out in one command instead of two.
        if (batch.nextPosition - 1 > position) writer.busy();
        let progressed: boolean;
        try {
          progressed = await handleBatch(batch, writer);
        } finally {
          writer.idle();
        }
        if (stopped) return;
        await subscription.afterBatch?.(handleWithRetry);
        // A hole that is still young: an append is in flight; look again shortly. Otherwise sleep
        // until an append wakes the subscription, or the idle poll (the safety net) reads the log.
        if (!progressed) await sleep(batch.hole !== null ? (batch.pauseMs ?? 50) : (options.idlePollMs ?? 1_000));
      } catch (err) {
        if (stopped) return;
        log.error({ err: String(err), subscription: subscription.name }, 'subscription loop failed; retrying in 1 s');
        await sleep(1_000);
      }
    }
  }

  /** Handles a batch and asks for the checkpoint it calls for; whether the position moved. */
  async function handleBatch(batch: Awaited<ReturnType<typeof nextBatch>>, writer: CheckpointWriter) {
    let progressed = false;
    await subscription.beforeBatch?.(handleWithRetry);
    const relevant = wanted ? batch.events.filter((e) => wanted.has(e.type)) : batch.events;
    // The fast path: the whole batch in one go, unless something in it must be parked.
    let done = false;
    if (subscription.handleMany && relevant.length > 1 && !relevant.some((e) => subscription.shouldPark?.(e))) {
      try {
        await subscription.handleMany(relevant);
        done = true;
      } catch (err) {
        log.debug(
          { err: String(err), subscription: subscription.name },
          'batch failed; handling its events one by one',
        );
      }
    }
    for (const event of done ? [] : relevant) {
      if (stopped) return progressed;
      if (subscription.shouldPark?.(event)) await subscription.park!(event);
      else await handleWithRetry(event);
    }
    const now = new Date();
    if (batch.nextPosition - 1 > position) {
      position = batch.nextPosition - 1;
      // The read models already hold these events: whoever waits for them need not also wait
      // for the checkpoint (which only decides where a restart resumes).
      while (waiters.length && waiters[0]!.position <= position) waiters.shift()!.resolve(true);
      progressed = true;
    }
    // The checkpoint is due when the subscription has caught up with what it was told of and
    // handled something of its own since the last write; while more is waiting, a run of small
    // batches makes it due at most every CHECKPOINT_EVERY_MS (one write per single-event batch
    // would be a round trip between events). A due write goes out at once when readers wait for
    // that position (read-your-writes: `checkpoint: 'urgent'`), lazily otherwise. It never falls
    // more than CHECKPOINT_MAX_BEHIND positions behind (then it is urgent whoever reads it), so a
    // restart redelivers less than that plus one batch: the bound the read models' duplicate
    // guard (readside/projections/types.ts, APPLIED_WINDOW) is sized for. Any other move (only
    // another context's events, or a write not yet due) is asked for lazily: it goes out with
    // the next checkpoint write of any subscription in the process, or within
    // LAZY_CHECKPOINT_MS (./checkpoints.ts), so a subscription whose events are all another
    // context's costs no command of its own. Redelivering such events after a restart applies
    // nothing. The write goes out without holding up the next batch; the top of the loop waits
    // for it only at that bound.
    if (relevant.length > 0) unwrittenApplied = true;
    const sinceWrite = now.getTime() - lastCheckpointWrite;
    const farBehind = position - writer.written() >= CHECKPOINT_MAX_BEHIND;
    const due = unwrittenApplied && (!dirty || sinceWrite >= CHECKPOINT_EVERY_MS || farBehind);
    const urgent = due && (subscription.checkpoint !== 'lazy' || farBehind);
    if (position > writer.written() && (urgent || position > writer.asked())) {
      // A due write reports progress, urgent or not: a lazy subscription is not a stuck one.
      const reportProgress = due && now.getTime() - lastProgressWrite >= PROGRESS_EVERY_MS;
      if (reportProgress) lastProgressWrite = now.getTime();
      if (due) {
        lastCheckpointWrite = now.getTime();
        unwrittenApplied = false;
      }
      writer.write(position, resumeToken, reportProgress ? now : undefined, { lazy: !urgent });
    }
    // Nothing to do is progress too (a quiet system is not a stuck one); a hole is not.
    if (!progressed && batch.hole === null && now.getTime() - lastProgressWrite >= PROGRESS_EVERY_MS) {
      lastProgressWrite = now.getTime();
      writer.stamp(now);
    }
    return progressed;
  }

  /** On a clean stop, what was handled since the last checkpoint is not handled again. */
  async function flush(writer: CheckpointWriter) {
    await writer.settled();
    if (position > writer.written()) {
      writer.write(position, resumeToken);
      await writer.settled();
    }
  }

  const running = start().then(async (started) => {
    if (!started) return;
    await loop(started.writer, started.resumeToken);
    await flush(started.writer);
  });
  return {
    position: () => position,
    async stop() {
      stopped = true;
      wake?.();
      for (const waiter of waiters.splice(0)) waiter.resolve(false);
      unsubscribe?.();
      await ownWatcher?.close();
      await running.catch(() => {});
    },
    caughtUp(target, timeoutMs) {
      if (position >= target) return Promise.resolve(true);
      return new Promise((resolve) => {
        const waiter = { position: target, resolve };
        let at = waiters.length;
        while (at > 0 && waiters[at - 1]!.position > target) at--;
        waiters.splice(at, 0, waiter);
        setTimeout(() => {
          const index = waiters.indexOf(waiter);
          if (index >= 0) {
            waiters.splice(index, 1);
            resolve(false);
          }
        }, timeoutMs);
      });
    },
  };
}
