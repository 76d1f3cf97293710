import { Writable } from 'node:stream';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, startStack, type Stack } from '../helpers/stack';
import { faultsOf } from '../helpers/faults';
import { fastSaga, sagaHelpers } from '../helpers/saga';
import { waitFor } from '../helpers/wait-for';
import { ACTIVITY_STEPS } from '../../domain/orders/steps';

describe('observability: metrics, correlated logs, traces', () => {
  let stack: Stack;
  let h: ReturnType<typeof sagaHelpers>;
  const lines: Array<Record<string, unknown>> = [];
  const spans = new InMemorySpanExporter();
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
        done();
      },
    });
    // Tracing adds its workflow interceptors to the bundle, so this worker is another build than the
    // untraced workers of other test files on the same server: a deployment of its own keeps them
    // from contending for the current version.
    stack = await startStack(
      { ...fastSaga, WORKER_DEPLOYMENT_NAME: 'order-platform-traced' },
      { log: pino({ level: 'debug' }, sink), spanExporter: spans },
    );
    h = sagaHelpers(stack);
  });
  afterAll(() => stack?.stop());

  it('follows one order by its correlation id from the HTTP request through the workflow and activities to its events and read-model updates', async () => {
    const accountId = await h.openAccount(5_000);
    const sku = h.unique('SKU');
    await h.stock(sku, 5, 100);
    const correlationId = h.unique('trace');
    const { orderId } = await h.placeOrder(
      { accountId, items: [{ sku, quantity: 1 }] },
      { 'x-correlation-id': correlationId },
    );
    await h.result(orderId);
    expect((await h.orderView(orderId, 'COMPLETED')).correlationId).toBe(correlationId);

    await waitFor(
      'read-model log lines for the order',
      () => lines.filter((l) => l.correlationId === correlationId && l.msg === 'read model updated').length >= 5,
    );
    const mine = lines.filter((l) => l.correlationId === correlationId);
    expect(mine.some((l) => l.msg === 'request' && l.path === '/orders' && l.status === 202)).toBe(true);
    // Each step once in order (an attempt that timed out on a busy machine may log a second success).
    const steps = [...new Set(mine.filter((l) => l.msg === 'saga step succeeded').map((l) => l.activity))];
    expect(steps).toEqual(ACTIVITY_STEPS);
    expect(mine.filter((l) => l.msg === 'saga step succeeded').every((l) => l.workflowId === `order-${orderId}`)).toBe(
      true,
    );
    const events = await h.orderEvents(orderId);
    expect(events.every((e) => e.metadata.correlationId === correlationId)).toBe(true);
  });

  it('exports traces of the workflow and its activities through the SDK interceptors', async () => {
    const names = spans.getFinishedSpans().map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'RunWorkflow:orderSaga',
        'StartActivity:createOrder',
        'RunActivity:createOrder',
        'RunActivity:completeOrder',
      ]),
    );
  });

  it("serves Prometheus metrics: HTTP, saga outcomes, dead letters, projection lag and the worker's SDK metrics with step durations and retries", async () => {
    const accountId = await h.openAccount(100);
    const sku = h.unique('SKU');
    await h.stock(sku, 5, 1_000);
    await faultsOf(apiOf(stack)).inject('payment', { mode: 'error', failures: 1 }); // one retry, then declined
    const declined = await h.placeOrder({ accountId, items: [{ sku, quantity: 1 }] });
    await h.result(declined.orderId);
    await h.orderView(declined.orderId, 'CANCELLED');

    const res = await fetch(`${stack.baseUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
    expect(text).toMatch(/http_requests_total\{method="POST",route="\/orders",status="202"\} \d+/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0.1",method="POST",route="\/orders"\}/);
    expect(value(/sagas_started_total (\d+)/)).toBeGreaterThanOrEqual(2);
    expect(value(/sagas\{outcome="completed"\} (\d+)/)).toBeGreaterThanOrEqual(1);
    expect(value(/sagas\{outcome="compensated"\} (\d+)/)).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/projection_lag_events\{projection="orders"\} \d+/);
    expect(text).toMatch(/event_log_head_position \d+/);
    expect(text).toMatch(/# HELP dead_letters /);
    // The worker's part: the SDK's own metrics and the saga's step histogram and retry counter.
    expect(text).toMatch(/temporal_workflow_completed/);
    expect(text).toMatch(/order_step_duration_seconds_bucket\{.*activity="processPayment"/);
    expect(text).toMatch(/order_activity_retries(_total)?\{.*activity="processPayment"/);
  });
});
