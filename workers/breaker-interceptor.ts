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

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const service = breakerServiceOf(this.ctx.info.activityType);
    if (!service) return next(input);
    const caller = this.ctx.info.workflowExecution?.workflowId ?? this.ctx.info.activityId;
    if (!(await this.breakers.admits(service, caller))) throw unavailable(service, 'its circuit breaker is open');
    let result: unknown;
    try {
      result = await next(input);
    } catch (err) {
      if (err instanceof CancelledFailure) throw err;
      const business = isBusinessFailure(err);
      const error = err instanceof Error ? err.message : String(err);
      const open = await this.breakers.record(service, { ok: business, caller, error });
      if (!business && open) throw unavailable(service, error);
      throw err;
    }
    // The step's effect is done: a breaker that cannot be told so must not make it fail.
    await this.breakers
      .record(service, { ok: true, caller })
      .catch((err: unknown) => this.log?.warn({ service, err: String(err) }, 'could not count a call for its breaker'));
    return result;
  }
}
