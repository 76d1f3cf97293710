import { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import type { Logger } from '../infra/logger';

/**
 * Wraps every activity: a structured log line per attempt with the order's correlation id, and the
 * saga's own metrics through the SDK's meter (exported on the worker's Prometheus endpoint):
 * `order_step_duration_seconds` per step and outcome, and `order_activity_retries_total`.
 */
export class ObservabilityInterceptor implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly ctx: Context,
    private readonly log: Logger,
  ) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const info = this.ctx.info;
    const first = (input.args[0] ?? {}) as { correlationId?: string; orderId?: string };
    const fields = {
      correlationId: first.correlationId,
      orderId: first.orderId,
      workflowId: info.workflowExecution?.workflowId,
      activity: info.activityType,
      attempt: info.attempt,
    };
    const meter = this.ctx.metricMeter.withTags({ activity: info.activityType });
    if (info.attempt > 1)
      meter.createCounter('order_activity_retries_total', '1', 'Activity attempts after the first').add(1);
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const duration = (outcome: string) =>
      meter
        .withTags({ outcome })
        .createHistogram('order_step_duration_seconds', 'float', 's', 'Saga step duration by activity and outcome')
        .record(seconds());
    try {
      const result = await next(input);
      duration('success');
      this.log.info({ ...fields, ms: Math.round(seconds() * 1000) }, 'saga step succeeded');
      return result;
    } catch (err) {
      duration('failure');
      this.log.warn(
        { ...fields, ms: Math.round(seconds() * 1000), err: err instanceof Error ? err.message : String(err) },
        'saga step failed',
      );
      throw err;
    }
  }
}
