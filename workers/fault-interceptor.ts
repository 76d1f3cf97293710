import { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { faultPointOf } from '../activities/fault-points';
import type { Faults } from '../infra/faults';

/**
 * Injected faults, around the activities rather than inside them: before an activity runs, its
 * service fails if a fault says it is down; after a forward step succeeded, it hangs if a
 * `hang-after-effect` fault asks (so a test can kill the worker between the effect and the
 * report). Registered only when fault injection is on: otherwise it is not there at all and costs
 * nothing.
 */
export class FaultInjectionInterceptor implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly ctx: Context,
    private readonly faults: Faults,
  ) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const point = faultPointOf(this.ctx.info.activityType);
    if (!point) return next(input);
    await this.faults.failIfDown(point.service);
    const result = await next(input);
    if (point.hangAfterEffect) await this.faults.hangIfAsked(point.service);
    return result;
  }
}
