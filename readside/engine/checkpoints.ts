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
 */
export interface CheckpointWriter {
  /** The last position the database confirmed. */
  written(): number;
  /** The newest position asked for: written, in flight or about to be. */
  asked(): number;
  write(position: number, resumeToken: ResumeToken | null, progressAt?: Date): void;
  /** Resolves once nothing is in flight (written, failed or refused). */
  settled(): Promise<void>;
}

export interface WriterEvents {
  /** The write matched nothing: another process took the lease over (its epoch is on the checkpoint). */
  fenced(): void;
  /** The write failed; the position counts as unwritten again, so the runner asks anew. */
  failed(err: unknown): void;
}

export function checkpointWriter(
  cps: Collection<CheckpointDocument>,
  owner: () => Filter<CheckpointDocument>,
  from: number,
  on: WriterEvents,
): CheckpointWriter {
  let written = from;
  let asked = from;
  let next: { position: number; resumeToken: ResumeToken | null; updatedAt: Date; progressAt?: Date } | undefined;
  let flight: Promise<void> | undefined;

  async function drain() {
    while (next) {
      const write = next;
      next = undefined;
      try {
        const { position, resumeToken, updatedAt, progressAt } = write;
        const result = await cps.updateOne(owner(), {
          $set: { position, resumeToken, updatedAt, ...(progressAt && { progressAt }) },
        });
        if (result.matchedCount === 0) {
          // Whatever was asked for meanwhile would be refused too.
          next = undefined;
          asked = written;
          on.fenced();
          return;
        }
        written = Math.max(written, position);
      } catch (err) {
        if (!next) asked = written;
        on.failed(err);
      }
    }
  }

  // A write asked for just as the previous drain finished is picked up here, not stranded.
  const start = () => {
    flight = drain().finally(() => {
      flight = undefined;
      if (next) start();
    });
  };

  return {
    written: () => written,
    asked: () => asked,
    write(position, resumeToken, progressAt) {
      asked = Math.max(asked, position);
      // A progress stamp asked for with a write that was coalesced away still goes out.
      const stamp = progressAt ?? next?.progressAt;
      next = { position, resumeToken, updatedAt: new Date(), ...(stamp && { progressAt: stamp }) };
      if (!flight) start();
    },
    async settled() {
      while (flight) await flight;
    },
  };
}
