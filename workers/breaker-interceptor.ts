import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { breakerServiceOf, type Breakers } from '../activities/breakers';
import { SERVICE_UNAVAILABLE, type BreakerService } from '../domain/breakers';
import { BUSINESS_FAILURES } from '../domain/orders/saga';
import type { Logger } from '../infra/logger';

const isBusinessFailure = (err: unknown) =>
  err instanceof ApplicationFailure && (BUSINESS_FAILURES as readonly string[]).includes(err.type ?? '');

const unavailable = (service: BreakerService, why: string) =>
  ApplicationFailure.create({
    type: SERVICE_UNAVAILABLE,
    message: `${service} service unavailable: ${why}`,
    nonRetryable: true,
    details: [{ service }],
  });

/**
 * The circuit breakers around the saga's external steps (payment, inventory, shipping): a step
 * whose breaker is open fails at once, non-retryable, with a `ServiceUnavailable` failure, and the
 * saga waits for the breaker (workflows/saga/breaker-wait.ts) instead of spending its retry budget
 * and compensating. Every call is counted; a business refusal is the service answering, so it
 * counts as a success. Outside the fault interceptor, so an injected outage counts like a real one.
 */
export class BreakerInterceptor implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly ctx: Context,
    private readonly breakers: Breakers,
    private readonly log?: Logger,
  ) {}

  /** This attempt was counted as failed for answering too slowly (one interceptor per attempt). */
  private countedSlow = false;

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const service = breakerServiceOf(this.ctx.info.activityType);
    if (!service) return next(input);
    const caller = this.ctx.info.workflowExecution?.workflowId ?? this.ctx.info.activityId;
    if (!(await this.breakers.admits(service, caller))) throw unavailable(service, 'its circuit breaker is open');
    let result: unknown;
    try {
      result = await this.answerInTime(service, caller, next(input));
    } catch (err) {
      if (err instanceof SlowCall) throw unavailable(service, err.message);
      if (err instanceof CancelledFailure || this.countedSlow) throw err;
      const business = isBusinessFailure(err);
      const error = err instanceof Error ? err.message : String(err);
      const open = await this.breakers.record(service, { ok: business, caller, error });
      if (!business && open) throw unavailable(service, error);
      throw err;
    }
    // The step's effect is done: a breaker that cannot be told so must not make it fail.
    if (!this.countedSlow)
      await this.breakers
        .record(service, { ok: true, caller })
        .catch((err: unknown) =>
          this.log?.warn({ service, err: String(err) }, 'could not count a call for its breaker'),
        );
    return result;
  }

  /** A call still unanswered this long counts as failed: a provider that hangs is as down as one that refuses. */
  private slowAfterMs(): number {
    return Math.round(this.ctx.info.startToCloseTimeoutMs * SLOW_SHARE);
  }

  /**
   * The call's outcome; or, when it has not answered before the attempt would time out on the server
   * (where no breaker sees it), a failure counted now: SlowCall if that leaves the breaker open, so the
   * saga waits instead of spending its attempts; else the call goes on to its outcome or its timeout.
   */
  private async answerInTime(service: BreakerService, caller: string, call: Promise<unknown>): Promise<unknown> {
    // Timeouts this short are a test's compressed timings, where a busy machine is not a provider that hangs.
    if (this.ctx.info.startToCloseTimeoutMs < MIN_SLOW_TIMEOUT_MS) return call;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<typeof SLOW>((resolve) => {
      timer = setTimeout(() => resolve(SLOW), this.slowAfterMs());
    });
    // Its outcome, once the attempt is given up on, is nobody's to handle.
    call.catch(() => undefined);
    try {
      const first = await Promise.race([call, late]);
      if (first !== SLOW) return first;
    } finally {
      clearTimeout(timer);
    }
    const open = await this.breakers.record(service, {
      ok: false,
      caller,
      error: `no answer within ${this.slowAfterMs()} ms`,
    });
    if (open) throw new SlowCall(`no answer within ${this.slowAfterMs()} ms`);
    // Counted once: its late outcome is not counted again.
    this.countedSlow = true;
    return call;
  }
}

/** The share of an attempt's start-to-close timeout after which an unanswered call counts as failed. */
const SLOW_SHARE = 0.8;
const SLOW = Symbol('slow');
/** The call was given up on as too slow while the breaker is open: the step fails fast. */
class SlowCall extends Error {}
/** Attempts with a shorter start-to-close timeout are never counted as slow. */
const MIN_SLOW_TIMEOUT_MS = 1_000;
