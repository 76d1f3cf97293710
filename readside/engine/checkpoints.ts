import type { Collection, Db, Filter, ResumeToken } from 'mongodb';

export interface CheckpointDocument {
  _id: string;
  /** Every event at or below this position has been handled. */
  position: number;
  /** Change-stream resume token of the last insert seen, so a restart resumes the stream itself. */
  resumeToken: ResumeToken | null;
  updatedAt: Date;
  /** Handling failures seen so far (observability). */
  failures: number;
  /**
   * Progress, as opposed to liveness: the last time the position advanced or there was nothing to
   * do. A subscription that is alive but stuck keeps its heartbeat and loses this.
   */
  progressAt?: Date;
  /** The lease epoch of the process that owns this checkpoint (absent: not leased). */
  epoch?: number;
  /** Set while a systemic failure holds the subscription (cleared when it moves again). */
  stalledSince?: Date | null;
  lastError?: string | null;
}

/** Majority: a checkpoint that a failover could take back would skip events (see eventstore/README.md). */
export const checkpoints = (db: Db) =>
  db.collection<CheckpointDocument>('checkpoints', {
    writeConcern: { w: 'majority' },
    readConcern: { level: 'majority' },
  });

/**
 * Writes a subscription's checkpoint behind its handling rather than in front of its next batch.
 * Awaiting the write would put one round trip between every two batches of a caught-up
 * subscription, and at a few hundred events a second the next event is usually waiting behind it.
 *
 * At most one write is in flight, so checkpoints land in order; positions asked for meanwhile are
 * coalesced into the newest, written as soon as the one in flight returns. Nothing is lost by not
 * waiting: the read models already hold what the checkpoint records, and a checkpoint only decides
 * where a restart resumes. How far handling may run ahead of the written checkpoint is bounded by
 * the runner (it waits for `settled()` first), which keeps redelivery after a crash or a takeover
 * within what the read models' duplicate guard covers.
 *
 * A write is urgent (sent at once: readers wait for the position it records) or lazy (sent with the
 * next urgent one of any subscription in the process, or within LAZY_CHECKPOINT_MS): see
 * CheckpointBatch.
 */
export interface CheckpointWriter {
  /** The last position the database confirmed. */
  written(): number;
  /** The newest position asked for: written, in flight or about to be. */
  asked(): number;
  /**
   * Asks for `position` to be written. A position already asked for and not pending (in flight or
   * written) is not sent again; a lazy one still pending is sent at once when asked for urgently.
   */
  write(position: number, resumeToken: ResumeToken | null, progressAt?: Date, options?: { lazy?: boolean }): void;
  /** Records progress without moving the position, lazily (with the next write, or within LAZY_CHECKPOINT_MS). */
  stamp(progressAt: Date): void;
  /** Sends what is pending now and resolves once nothing is pending or in flight (written, failed or refused). */
  settled(): Promise<void>;
  /**
   * The subscription is handling a batch: another subscription's urgent write waits for this one's
   * (up to GATHER_CHECKPOINT_MS), so that both go out in one command. Ends with its next `write`,
   * `stamp` or `idle`.
   */
  busy(): void;
  /** The subscription is done with its batch and asks for nothing: writes waiting for it go out. */
  idle(): void;
}

export interface WriterEvents {
  /** The write matched nothing: another process took the lease over (its epoch is on the checkpoint). */
  fenced(): void;
  /** The write failed; the position counts as unwritten again, so the runner asks anew. */
  failed(err: unknown): void;
}

/** How long a lazy write waits at most for an urgent one to go out with. */
export const LAZY_CHECKPOINT_MS = 200;
/**
 * How long an urgent write waits at most for the other subscriptions that were handed the same
 * events to ask for theirs. Every subscription of a process is woken by the same append; the first
 * one done would otherwise go out alone and the rest, queued behind it, in a second command. A
 * subscription's handling is a round trip or two, so a few ms gathers them; readers of the position
 * wait no longer than that (and they poll every 20 ms: api/read-consistency.ts).
 */
export const GATHER_CHECKPOINT_MS = 5;

type Fields = Partial<Pick<CheckpointDocument, 'position' | 'resumeToken' | 'updatedAt' | 'progressAt'>>;

/** One checkpoint's part in a batch: what it has to send, and what becomes of it. */
interface Member {
  filter(): Filter<CheckpointDocument>;
  /** Takes what is to be sent (it is in flight from now on); nothing when nothing is pending. */
  take(): Fields | undefined;
  answered(outcome: 'ok' | 'fenced' | { error: unknown }): void;
}

/**
 * The checkpoint writes of every subscription of a process, sent together: one `update` command
 * carries each subscription's newest statement (each conditional on its own lease epoch), and at
 * most one such command is in flight. A subscription whose events were all another context's, or
 * one that only records progress, asks lazily: its write waits for the next urgent one (another
 * subscription that handled an event its readers wait for) or LAZY_CHECKPOINT_MS, so a quiet
 * subscription costs no command of its own. When the command matched fewer checkpoints than it
 * named, a lease was taken over: each statement is then sent alone to learn which (writing the
 * same values again is harmless), and that subscription is told it was fenced.
 */
export interface CheckpointBatch {
  /** Asks for `member`'s pending statement to go out (which ends its being busy). */
  ask(member: Member, urgent: boolean): void;
  /** Sends what `member` has pending now; resolves once it has nothing pending or in flight. */
  settled(member: Member): Promise<void>;
  /** `member` is handling events: an urgent write waits for it to ask (or go idle), GATHER_CHECKPOINT_MS at most. */
  busy(member: Member): void;
  idle(member: Member): void;
}

export function checkpointBatch(
  cps: Collection<CheckpointDocument>,
  lazyMs = LAZY_CHECKPOINT_MS,
  gatherMs = GATHER_CHECKPOINT_MS,
): CheckpointBatch {
  const waiting = new Set<Member>();
  const busy = new Set<Member>();
  let urgent = false;
  /** Set while an urgent write waits for busy members: when it goes out regardless. */
  let gatherTimer: NodeJS.Timeout | undefined;
  let gathered = false;
  let flight: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  async function sendAlone(member: Member, filter: Filter<CheckpointDocument>, fields: Fields) {
    try {
      const result = await cps.updateOne(filter, { $set: fields });
      member.answered(result.matchedCount === 0 ? 'fenced' : 'ok');
    } catch (error) {
      member.answered({ error });
    }
  }

  async function send() {
    const members = [...waiting];
    waiting.clear();
    urgent = false;
    clearTimeout(timer);
    timer = undefined;
    clearTimeout(gatherTimer);
    gatherTimer = undefined;
    gathered = false;
    const statements = members.flatMap((member) => {
      const filter = member.filter();
      const fields = member.take();
      return fields ? [{ member, filter, fields }] : [];
    });
    if (statements.length === 0) return;
    if (statements.length === 1) {
      const [only] = statements;
      return sendAlone(only!.member, only!.filter, only!.fields);
    }
    let matched: number;
    try {
      const result = await cps.bulkWrite(
        statements.map(({ filter, fields }) => ({ updateOne: { filter, update: { $set: fields } } })),
        { ordered: false },
      );
      matched = result.matchedCount;
    } catch (error) {
      for (const { member } of statements) member.answered({ error });
      return;
    }
    if (matched === statements.length) {
      for (const { member } of statements) member.answered('ok');
      return;
    }
    for (const { member, filter, fields } of statements) await sendAlone(member, filter, fields);
  }

  const start = () => {
    flight = send().finally(() => {
      flight = undefined;
      if (waiting.size === 0) return;
      if (urgent) startOrGather();
      else later();
    });
  };
  const later = () => {
    timer ??= setTimeout(() => {
      timer = undefined;
      urgent = true;
      if (!flight) startOrGather();
    }, lazyMs);
  };
  /** An urgent write goes out once no member is busy, or once it has waited gatherMs for them. */
  const startOrGather = () => {
    if (busy.size === 0 || gathered) return start();
    gatherTimer ??= setTimeout(() => {
      gatherTimer = undefined;
      gathered = true;
      if (!flight && urgent) start();
    }, gatherMs);
  };
  const done = (member: Member) => {
    if (!busy.delete(member) || busy.size > 0) return;
    if (urgent && !flight && waiting.size > 0) start();
  };

  return {
    ask(member, isUrgent) {
      waiting.add(member);
      busy.delete(member);
      if (isUrgent) urgent = true;
      if (flight) return; // sent when the one in flight returns (or at its time, if lazy)
      if (urgent) startOrGather();
      else later();
    },
    async settled(member) {
      busy.delete(member);
      while (flight || waiting.has(member)) {
        if (waiting.has(member)) urgent = true;
        if (!flight) start();
        await flight;
      }
    },
    busy(member) {
      busy.add(member);
    },
    idle: done,
  };
}

const batches = new WeakMap<Db, CheckpointBatch>();

/** The batch every subscription of a process (of a database handle) writes its checkpoint through. */
export function sharedCheckpointBatch(db: Db): CheckpointBatch {
  let batch = batches.get(db);
  if (!batch) batches.set(db, (batch = checkpointBatch(checkpoints(db))));
  return batch;
}

export function checkpointWriter(
  cps: Collection<CheckpointDocument>,
  owner: () => Filter<CheckpointDocument>,
  from: number,
  on: WriterEvents,
  batch: CheckpointBatch = checkpointBatch(cps),
): CheckpointWriter {
  let written = from;
  let asked = from;
  let next: Fields | undefined;
  let inFlight: Fields | undefined;

  const member: Member = {
    filter: owner,
    take() {
      inFlight = next;
      next = undefined;
      return inFlight;
    },
    answered(outcome) {
      const sent = inFlight;
      inFlight = undefined;
      if (outcome === 'ok') {
        if (sent?.position !== undefined) written = Math.max(written, sent.position);
      } else if (outcome === 'fenced') {
        // Whatever was asked for meanwhile would be refused too.
        next = undefined;
        asked = written;
        on.fenced();
      } else {
        if (!next) asked = written;
        on.failed(outcome.error);
      }
    },
  };

  return {
    written: () => written,
    asked: () => asked,
    write(position, resumeToken, progressAt, options = {}) {
      // Only what the database has not been asked for yet goes out (a pending lazy write is hurried).
      if (position <= asked && next?.position === undefined && !progressAt) return;
      asked = Math.max(asked, position);
      // A progress stamp asked for with a write that was coalesced away still goes out.
      const stamp = progressAt ?? next?.progressAt;
      next = { position: asked, resumeToken, updatedAt: new Date(), ...(stamp && { progressAt: stamp }) };
      batch.ask(member, !options.lazy);
    },
    stamp(progressAt) {
      next = { ...next, progressAt };
      batch.ask(member, false);
    },
    settled: () => batch.settled(member),
    busy: () => batch.busy(member),
    idle: () => batch.idle(member),
  };
}
