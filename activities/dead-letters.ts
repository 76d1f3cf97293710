import type { Db } from 'mongodb';
import { deadLetterCollection, type DeadLetterInput } from '../infra/dead-letters';

export type { DeadLetterDocument, DeadLetterInput } from '../infra/dead-letters';

export function createDeadLetterActivities({ db }: { db: Db }) {
  const deadLetters = deadLetterCollection(db);
  return {
    /**
     * Parks a failure where operators look (GET /dead-letters). Keyed by run and step, so a
     * retried call records it once.
     */
    async recordDeadLetter(input: DeadLetterInput): Promise<string> {
      const id = `${input.source}:${input.workflowId ?? input.orderId}:${input.runId ?? ''}:${input.kind}:${input.step}`;
      await deadLetters.updateOne(
        { _id: id },
        { $setOnInsert: { ...input, status: 'open', createdAt: new Date() } },
        { upsert: true },
      );
      return id;
    },

    /**
     * Takes an open dead letter for one redrive (open -> redrive-requested). False when it is not
     * open any more (another redrive took it, or it was discarded), so the redrive does nothing.
     */
    async claimDeadLetter(id: string): Promise<boolean> {
      const claimed = await deadLetters.updateOne(
        { _id: id, status: 'open' },
        { $set: { status: 'redrive-requested' } },
      );
      if (claimed.modifiedCount === 1) return true;
      // A retry of this same claim finds its own earlier write.
      return (await deadLetters.findOne({ _id: id }, { projection: { status: 1 } }))?.status === 'redrive-requested';
    },

    /**
     * Records how a redrive of a dead letter ended. Back to `open` counts the failed redrive and says
     * whether another one can help (`retryable: false` after a business failure).
     */
    async resolveDeadLetter(id: string, status: 'redriven' | 'open', error?: string, retryable = true): Promise<void> {
      await deadLetters.updateOne(
        { _id: id, status: { $in: ['redrive-requested', 'open'] } },
        {
          $set: {
            status,
            ...(status === 'redriven' ? { resolvedAt: new Date() } : { retryable }),
            ...(error ? { error } : {}),
          },
          ...(status === 'open' ? { $inc: { redriveAttempts: 1 } } : {}),
        },
      );
    },
  };
}

export type DeadLetterActivities = ReturnType<typeof createDeadLetterActivities>;
