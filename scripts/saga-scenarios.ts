/**
 * Every path an order saga can take, driven the way a user drives it: through the HTTP API, with
 * the real worker behind it. `npm run record-histories` runs them to record workflow histories for
 * the replay tests (test/fixtures/histories/); test/replay/ runs them again to prove that sagas
 * started by today's code replay too.
 */
import type { Client } from '@temporalio/client';
import pRetry from 'p-retry';
import { createApiClient, type ApiClient, type Answer } from '../api/client';
import type { Config } from '../config';
import { orderWorkflowId, type OrderSagaResult, type ShippingAddress } from '../domain/orders';
import {
  SAGA_BASELINE_2026_12,
  SAGA_BREAKER_WAIT,
  SAGA_LOCAL_CREATE_ORDER,
  SAGA_LOCAL_ORDER_STEPS,
  SAGA_PATCHES_AT_START,
  SAGA_POINT_OF_NO_RETURN,
  SAGA_REPAIR,
  SAGA_STEP_TABLE,
  STATUS_ATTRIBUTE_AT_MILESTONES,
} from '../workflows/patches';

/** What a scenario needs: the API to talk to, and a Temporal client to await the saga's result. */
export interface ScenarioSystem {
  baseUrl: string;
  client: Client;
}

/**
 * The configuration the scenarios assume: retries and timeouts in milliseconds (so "retries
 * exhausted" takes a second), approval above 5,000 cents and a 5 s approval window (long enough for
 * a busy machine to approve in time, short enough to wait out).
 */
export const scenarioConfig = {
  SAGA_TIME_SCALE: 0.01,
  COMPENSATION_MAX_ATTEMPTS: 5,
  APPROVAL_THRESHOLD: 5_000,
  APPROVAL_TIMEOUT: 5_000,
  // A saga that needs attention and gets no repair compensates by itself after 5 s (shipping-failed).
  REPAIR_WAIT_TIMEOUT: 5_000,
  FAULT_INJECTION: 'on',
  // The worker's sweep settles a terminated saga's order within a second.
  SETTLE_SWEEP_INTERVAL: 1_000,
} as const satisfies Partial<Config>;

export interface ScenarioRun {
  orderId: string;
  workflowId: string;
}

export interface Scenario {
  /** File-name friendly: the fixture is test/fixtures/histories/<name>.json. */
  name: string;
  /** What happens, in one line. */
  description: string;
  /**
   * The newest saga change when the path was first recorded (a patch id of workflows/patches.ts):
   * histories tagged with an earlier change cannot hold it, since the code of that time is gone.
   * Unset: recorded since the first tagged change.
   */
  firstRecordedWith?: SagaChange;
  run(system: ScenarioSystem): Promise<ScenarioRun>;
}

/** The saga's changes whose histories are recorded under their tag, in the order they were made. */
const SAGA_CHANGES = [
  SAGA_POINT_OF_NO_RETURN,
  STATUS_ATTRIBUTE_AT_MILESTONES,
  SAGA_STEP_TABLE,
  SAGA_LOCAL_ORDER_STEPS,
  SAGA_LOCAL_CREATE_ORDER,
  SAGA_BREAKER_WAIT,
  SAGA_REPAIR,
  SAGA_PATCHES_AT_START,
  SAGA_BASELINE_2026_12,
] as const;
type SagaChange = (typeof SAGA_CHANGES)[number];

const address: ShippingAddress = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
let counter = 0;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

/** The scenarios run against a development API (no key). */
const apiOf = (system: ScenarioSystem): ApiClient => createApiClient({ baseUrl: system.baseUrl });

/** The answer's body, when the status is the one the scenario expects. */
async function expectStatus<T>(
  status: number,
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (response.status !== status)
    throw new Error(
      `${new URL(response.url).pathname}: expected ${status}, got ${response.status} ${JSON.stringify(error ?? data)}`,
    );
  return data as T;
}

const order = (orderId: string) => ({ params: { path: { orderId } } });

async function openAccount(system: ScenarioSystem, balance: number): Promise<string> {
  return (
    await expectStatus(
      201,
      apiOf(system).POST('/accounts', { body: { owner: unique('owner'), initialDeposit: balance } }),
    )
  ).accountId;
}

async function stock(system: ScenarioSystem, quantity: number, price: number): Promise<string> {
  const sku = unique('SKU');
  await expectStatus(200, apiOf(system).POST('/inventory', { body: { sku, quantity, price } }));
  return sku;
}

async function placeOrder(
  system: ScenarioSystem,
  accountId: string,
  items: Array<{ sku: string; quantity: number }>,
  shippingAddress = address,
): Promise<ScenarioRun> {
  const { orderId } = await expectStatus(
    202,
    apiOf(system).POST('/orders', { body: { customerId: unique('cust'), accountId, items, shippingAddress } }),
  );
  return { orderId, workflowId: orderWorkflowId(orderId) };
}

type SagaAnswer = Answer<'/orders/{orderId}/saga', 'get', 200>;

async function sagaStatus(system: ScenarioSystem, orderId: string): Promise<SagaAnswer> {
  return expectStatus(200, apiOf(system).GET('/orders/{orderId}/saga', order(orderId)));
}

/** Asks for the saga's state every 50 ms, for up to 20 s, until `predicate` holds (this runs outside vitest too). */
async function waitForSaga(
  system: ScenarioSystem,
  orderId: string,
  predicate: (s: SagaAnswer) => boolean,
  what: string,
) {
  await pRetry(
    async () => {
      if (!predicate(await sagaStatus(system, orderId))) throw new Error(`timed out waiting for ${what}`);
    },
    { forever: true, factor: 1, minTimeout: 50, maxTimeout: 50, maxRetryTime: 20_000 },
  );
}

/** Waits for the saga's result and checks it is the one the scenario is about. */
async function expectResult(
  system: ScenarioSystem,
  run: ScenarioRun,
  status: OrderSagaResult['status'],
  reason?: RegExp,
): Promise<ScenarioRun> {
  const result: OrderSagaResult = await system.client.workflow.getHandle(run.workflowId).result();
  if (result.status !== status || (reason && !reason.test(result.failureReason ?? ''))) {
    throw new Error(
      `saga ${run.workflowId} ended ${JSON.stringify(result)}, expected ${status}${reason ? ` with a reason matching ${reason}` : ''}`,
    );
  }
  return run;
}

/** A big order (above the approval threshold), waiting for an operator's decision. */
async function orderAwaitingApproval(system: ScenarioSystem): Promise<ScenarioRun> {
  const accountId = await openAccount(system, 100_000);
  const sku = await stock(system, 10, 6_000);
  const run = await placeOrder(system, accountId, [{ sku, quantity: 1 }]);
  await waitForSaga(system, run.orderId, (s) => s.awaitingApproval, `saga ${run.workflowId} to await approval`);
  return run;
}

export const scenarios: Scenario[] = [
  {
    name: 'happy-path',
    description: 'pays, reserves, ships and completes',
    async run(system) {
      const accountId = await openAccount(system, 10_000);
      const sku = await stock(system, 5, 1_500);
      return expectResult(system, await placeOrder(system, accountId, [{ sku, quantity: 2 }]), 'COMPLETED');
    },
  },
  {
    name: 'payment-declined',
    description: 'insufficient funds: cancels the order, nothing charged',
    async run(system) {
      const accountId = await openAccount(system, 1_000);
      const sku = await stock(system, 5, 1_500);
      return expectResult(
        system,
        await placeOrder(system, accountId, [{ sku, quantity: 1 }]),
        'CANCELLED',
        /cannot withdraw/,
      );
    },
  },
  {
    name: 'out-of-stock',
    description: 'the reservation fails: refunds the payment, cancels the order',
    async run(system) {
      const accountId = await openAccount(system, 10_000);
      const sku = await stock(system, 1, 1_000);
      return expectResult(
        system,
        await placeOrder(system, accountId, [{ sku, quantity: 2 }]),
        'CANCELLED',
        /out of stock/,
      );
    },
  },
  {
    name: 'shipping-failed',
    description:
      'undeliverable address: waits in NEEDS_ATTENTION, no repair comes within the limit (sagas before the saga-repair patch: at once), so it releases the items, refunds, cancels',
    async run(system) {
      const accountId = await openAccount(system, 10_000);
      const sku = await stock(system, 4, 500);
      const run = await placeOrder(system, accountId, [{ sku, quantity: 3 }], { ...address, country: 'AQ' });
      return expectResult(system, run, 'CANCELLED', /cannot deliver/);
    },
  },
  ...(['retry', 'correct', 'compensate', 'cancel'] as const).map((action): Scenario => ({
    name: `repair-${action}`,
    firstRecordedWith: SAGA_REPAIR,
    description: {
      retry: 'the carrier refuses the address: NEEDS_ATTENTION, retried and refused again, then compensated',
      correct: 'the carrier refuses the address: NEEDS_ATTENTION, the address corrected, then completes',
      compensate: 'the carrier refuses the address: NEEDS_ATTENTION, then compensated by an operator',
      cancel: 'the carrier refuses the address: NEEDS_ATTENTION, then cancelled by the customer (cancel Update)',
    }[action],
    async run(system) {
      const accountId = await openAccount(system, 10_000);
      const sku = await stock(system, 4, 500);
      const run = await placeOrder(system, accountId, [{ sku, quantity: 2 }], { ...address, country: 'AQ' });
      await waitForSaga(
        system,
        run.orderId,
        (s) => s.status === 'NEEDS_ATTENTION',
        `saga ${run.workflowId} to need attention`,
      );
      const since = (s: SagaAnswer) => (s.needsAttention as { since?: string } | null | undefined)?.since;
      const first = since(await sagaStatus(system, run.orderId));
      const repair = (
        body:
          | { action: 'retry' }
          | { action: 'compensate'; reason: string }
          | { action: 'correct'; shippingAddress: ShippingAddress },
      ) => expectStatus(202, apiOf(system).POST('/orders/{orderId}/repair', { ...order(run.orderId), body }));
      if (action === 'correct') {
        await repair({ action: 'correct', shippingAddress: address });
        return expectResult(system, run, 'COMPLETED');
      }
      if (action === 'cancel') {
        await expectStatus(202, apiOf(system).POST('/orders/{orderId}/cancel', order(run.orderId)));
        return expectResult(system, run, 'CANCELLED', /cancelled/);
      }
      if (action === 'retry') {
        await repair({ action: 'retry' });
        await waitForSaga(
          system,
          run.orderId,
          (s) => since(s) !== undefined && since(s) !== first,
          `saga ${run.workflowId} to need attention again`,
        );
      }
      await repair({ action: 'compensate', reason: 'the customer cannot be reached' });
      return expectResult(system, run, 'CANCELLED', /compensated by an operator/);
    },
  })),
  {
    name: 'approved',
    description: 'above the threshold: waits for the approve signal, then completes',
    async run(system) {
      const run = await orderAwaitingApproval(system);
      await expectStatus(202, apiOf(system).POST('/orders/{orderId}/approve', order(run.orderId)));
      return expectResult(system, run, 'COMPLETED');
    },
  },
  {
    name: 'rejected',
    description: 'above the threshold: the reject signal cancels the order',
    async run(system) {
      const run = await orderAwaitingApproval(system);
      await expectStatus(
        202,
        apiOf(system).POST('/orders/{orderId}/reject', { ...order(run.orderId), body: { reason: 'looks fraudulent' } }),
      );
      // The reason travels sealed with the customer's key (the API opens it for its answers).
      return expectResult(system, run, 'CANCELLED', /^rejected: pd1\./);
    },
  },
  {
    name: 'approval-timeout',
    description: 'above the threshold: nobody decides in time, the order is cancelled',
    async run(system) {
      return expectResult(system, await orderAwaitingApproval(system), 'CANCELLED', /approval timed out/);
    },
  },
  {
    name: 'address-updated',
    description: 'the updateShippingAddress update changes the address while the order awaits approval',
    async run(system) {
      const run = await orderAwaitingApproval(system);
      await expectStatus(
        202,
        apiOf(system).PUT('/orders/{orderId}/shipping-address', {
          ...order(run.orderId),
          body: { line1: '9 Elm Rd', city: 'Shelbyville', postalCode: '54321', country: 'CA' },
        }),
      );
      await expectStatus(202, apiOf(system).POST('/orders/{orderId}/approve', order(run.orderId)));
      return expectResult(system, run, 'COMPLETED');
    },
  },
  {
    name: 'cancelled',
    description:
      'cancelled (the cancel Update) while reserving the items: compensates what was done and ends CANCELLED',
    async run(system) {
      const accountId = await openAccount(system, 10_000);
      const sku = await stock(system, 3, 1_000);
      // Hold the saga inside the reservation (after its effect) so the cancel lands mid-saga.
      await expectStatus(
        200,
        apiOf(system).PUT('/faults/{service}', {
          params: { path: { service: 'inventory' } },
          body: { mode: 'hang-after-effect', hangMs: 1_500, failures: 1 },
        }),
      );
      try {
        const run = await placeOrder(system, accountId, [{ sku, quantity: 2 }]);
        await waitForSaga(
          system,
          run.orderId,
          (s) => s.currentStep === 'reserveItems',
          `saga ${run.workflowId} to reach reserveItems`,
        );
        await expectStatus(202, apiOf(system).POST('/orders/{orderId}/cancel', order(run.orderId)));
        // The API's cancel is the saga's cancel Update: accepted, the saga compensates and ends CANCELLED.
        await expectResult(system, run, 'CANCELLED', /cancelled/);
        return run;
      } finally {
        await apiOf(system).DELETE('/faults/{service}', { params: { path: { service: 'inventory' } } });
      }
    },
  },
  {
    name: 'breaker-wait',
    firstRecordedWith: SAGA_LOCAL_ORDER_STEPS,
    description:
      "payment's circuit breaker is open: the saga waits on it without spending attempts, and completes once an operator closes it",
    async run(system) {
      const accountId = await openAccount(system, 10_000);
      const sku = await stock(system, 2, 700);
      const breaker = (state: 'open' | 'closed') =>
        expectStatus(
          200,
          apiOf(system).PUT('/breakers/{service}', {
            params: { path: { service: 'payment' } },
            body: { state, reason: 'recorded scenario' },
          }),
        );
      await breaker('open');
      try {
        const run = await placeOrder(system, accountId, [{ sku, quantity: 1 }]);
        await waitForSaga(
          system,
          run.orderId,
          (s) => (s as { waitingOnBreaker?: unknown }).waitingOnBreaker != null,
          `saga ${run.workflowId} to wait on the payment breaker`,
        );
        await breaker('closed');
        return await expectResult(system, run, 'COMPLETED');
      } finally {
        await breaker('closed');
      }
    },
  },
  {
    name: 'settled-after-terminate',
    firstRecordedWith: SAGA_LOCAL_CREATE_ORDER,
    description:
      "the saga is terminated while it reserves the items: the worker's sweep settles the order in settle-<orderId>, refunding and releasing",
    async run(system) {
      const accountId = await openAccount(system, 10_000);
      const sku = await stock(system, 2, 700);
      const inventory = { params: { path: { service: 'inventory' as const } } };
      // Every attempt of the reservation does its effect and then hangs past its timeout.
      await expectStatus(
        200,
        apiOf(system).PUT('/faults/{service}', { ...inventory, body: { mode: 'hang-after-effect', hangMs: 3_000 } }),
      );
      let run: ScenarioRun;
      try {
        run = await placeOrder(system, accountId, [{ sku, quantity: 1 }]);
        await waitForSaga(
          system,
          run.orderId,
          (s) => s.currentStep === 'reserveItems',
          `saga ${run.workflowId} to reserve`,
        );
        await system.client.workflow.getHandle(run.workflowId).terminate('recorded scenario');
      } finally {
        await apiOf(system).DELETE('/faults/{service}', inventory);
      }
      const settle = { orderId: run.orderId, workflowId: `settle-${run.orderId}` };
      const result = await pRetry(() => system.client.workflow.getHandle(settle.workflowId).result(), {
        forever: true,
        factor: 1,
        minTimeout: 200,
        maxTimeout: 200,
        maxRetryTime: 60_000,
      });
      if (result.outcome !== 'settled') throw new Error(`${settle.workflowId} ended ${JSON.stringify(result)}`);
      return settle;
    },
  },
  {
    name: 'retries-exhausted',
    description: 'shipping is down for good: retries run out, a dead letter is recorded, the order is compensated',
    async run(system) {
      const accountId = await openAccount(system, 10_000);
      const sku = await stock(system, 2, 700);
      await expectStatus(
        200,
        apiOf(system).PUT('/faults/{service}', { params: { path: { service: 'shipping' } }, body: { mode: 'error' } }),
      );
      try {
        // Shipping stays down, so undoing the shipment cannot succeed either: the order says so.
        const run = await expectResult(
          system,
          await placeOrder(system, accountId, [{ sku, quantity: 1 }]),
          'COMPENSATION_INCOMPLETE',
          /shipping service unavailable/,
        );
        const dead = await expectStatus(
          200,
          apiOf(system).GET('/dead-letters', { params: { query: { orderId: run.orderId } } }),
        );
        if (!dead.deadLetters.some((d) => d.kind === 'step'))
          throw new Error(`no dead letter recorded for ${run.workflowId}`);
        return run;
      } finally {
        await apiOf(system).DELETE('/faults/{service}', { params: { path: { service: 'shipping' } } });
      }
    },
  },
];

/** The paths a history tagged with `change` can hold: those first recorded with it or before. */
export function scenariosRecordedWith(change: SagaChange): Scenario[] {
  const at = SAGA_CHANGES.indexOf(change);
  return scenarios.filter((s) => SAGA_CHANGES.indexOf(s.firstRecordedWith ?? SAGA_CHANGES[0]) <= at);
}
