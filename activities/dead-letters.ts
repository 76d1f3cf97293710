import type { Db } from 'mongodb';

export interface DeadLetterInput {
  source: 'saga' | 'projection' | 'notification';
  kind: 'step' | 'compensation' | 'event';
  service: string;
  step: string;
  orderId?: string;
  correlationId?: string;
  input: unknown;
  error: string;
  attempts: number;
  workflowId?: string;
  runId?: string;
}

export interface DeadLetterDocument extends DeadLetterInput {
  _id: string;
  status: 'open' | 'redrive-requested' | 'discard-requested' | 'redriven' | 'discarded';
  createdAt: Date;
}

export function createDeadLetterActivities({ db }: { db: Db }) {
  const deadLetters = db.collection<DeadLetterDocument>('dead_letters');
  return {
    /**
     * Parks a failure where operators look (GET /dead-letters). Keyed by run and step, so a
     * retried call records it once.
     */
    async recordDeadLetter(input: DeadLetterInput): Promise<string> {
      const id = `${input.source}:${input.workflowId ?? input.orderId}:${input.runId ?? ''}:${input.kind}:${input.step}`;
      await deadLetters.updateOne({ _id: id }, { $setOnInsert: { ...input, status: 'open', createdAt: new Date() } }, { upsert: true });
      return id;
    },

    /** Records how a redrive of a dead letter ended. */
    async resolveDeadLetter(id: string, status: 'redriven' | 'open', error?: string): Promise<void> {
      await deadLetters.updateOne(
        { _id: id },
        { $set: { status, ...(status === 'redriven' ? { resolvedAt: new Date() } : {}), ...(error ? { error } : {}) }, ...(status === 'open' ? { $inc: { redriveAttempts: 1 } } : {}) },
      );
    },
  };
}

export type DeadLetterActivities = ReturnType<typeof createDeadLetterActivities>;
