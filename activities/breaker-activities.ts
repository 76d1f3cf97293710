import { Context } from '@temporalio/activity';
import type { BreakerService, PollAnswer } from '../domain/breakers';
import type { Breakers } from './breakers';

/** How often a waiting saga's long poll asks again (jittered, so waiting sagas do not ask in step). */
const POLL_EVERY_MS = 1_000;

/**
 * The activity a saga waits on while its step's breaker is open: a long poll that heartbeats
 * (so a cancel reaches it, and a dead worker is noticed) and answers as soon as the saga may go
 * on (`closed`: a resume token was free), is to make the probe call (`probe`), or after `waitMs`
 * still `open` (the saga then sleeps on a durable timer and asks again).
 */
export function createBreakerActivities(breakers: Breakers) {
  return {
    async awaitBreaker(input: {
      service: BreakerService;
      waitMs: number;
      orderId: string;
      correlationId: string;
    }): Promise<{ answer: PollAnswer }> {
      const ctx = Context.current();
      const caller = ctx.info.workflowExecution?.workflowId ?? ctx.info.activityId;
      const deadline = Date.now() + input.waitMs;
      for (;;) {
        ctx.heartbeat();
        const answer = await breakers.poll(input.service, caller);
        const left = deadline - Date.now();
        if (answer !== 'open' || left <= 0) return { answer };
        await ctx.sleep(Math.min(left, POLL_EVERY_MS * (0.5 + Math.random())));
      }
    },
  };
}

export type BreakerActivities = ReturnType<typeof createBreakerActivities>;
