import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerActivities } from '../../composition';
import { createAccountService } from '../../domain/accounts';
import type { OrderSagaInput } from '../../domain/orders';
import { OrderStatusKey } from '../../infra/search-attribute-keys';
import { bundleWorkflows, type WorkflowBundle } from '../../workers/workflow-bundle';
import { WORKFLOW_NAMES, type OrderSagaWorkflow } from '../../workflows/client';
import { approveSignal, repairUpdate, statusQuery, updateShippingAddressUpdate } from '../../workflows/definitions';
import { openServiceDb, type ServiceDb } from '../helpers/service-db';
import { stockDocument } from '../helpers/stock-document';
import { openTimeSkippingEnv } from '../helpers/time-skipping-env';
import { waitFor } from '../helpers/wait-for';
import { loadFixtures } from '../replay/replay-histories';
import { MATRIX_SETTINGS } from './saga-env';

const PRICE = 1_500;
const ADDRESS = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };

/** Why an Update was refused, as its caller reads it. */
async function refusal(update: Promise<unknown>): Promise<string> {
  const err = await update.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return (err as WorkflowUpdateFailedError).cause?.message ?? '';
}

/**
 * The worker's workflow bundle (workers/workflow-bundle.ts) evaluates zod and the workflow modules
 * once per V8 context and shares them, frozen, with every saga in it (workflows/preloaded.ts). The
 * saga's Update validators parse with zod: on that bundle, in a worker as workers/worker.ts builds
 * it, they still refuse what is invalid and normalize what is valid, saga after saga.
 */
describe("the worker's workflow bundle shares zod and the workflow modules between sagas", () => {
  let env: TestWorkflowEnvironment;
  let services: ServiceDb;
  let bundle: WorkflowBundle;
  let running: { worker: Worker; run: Promise<void> } | undefined;
  const taskQueue = `preloaded-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    env = await openTimeSkippingEnv();
    services = await openServiceDb('preloaded');
    bundle = await bundleWorkflows();
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: bundle,
      activities: workerActivities({ db: services.db }),
    });
    running = { worker, run: worker.run() };
  }, 180_000);
  afterAll(async () => {
    running?.worker.shutdown();
    await running?.run;
    await services?.close();
    await env?.teardown();
  }, 60_000);

  it('loads zod and the workflow modules before any workflow, not with each saga', () => {
    const preload = /exports\.preloadModules = function preloadModules\(\) \{([^}]*)\}/.exec(bundle.code)?.[1];
    expect(preload, 'the bundle has a preload function').toBeDefined();
    expect(preload).toContain('"./workflows/preloaded.ts"');
    expect(preload).toContain('"./workflows/index.ts"');
  });

  it('keeps no state in the modules it shares between sagas: no module-level let, Map or Set', () => {
    // The SDK freezes what shared modules export, so an object a saga changes fails loudly; a Map, a
    // Set or a module-level variable would instead carry one saga's state into the next.
    const ours = [...bundle.code.matchAll(/^\/\*\*\*\/ "\.\/((?!node_modules\/)[^"]+\.ts)"/gm)].map((m) => m[1]!);
    expect(ours).toContain('workflows/order-saga.ts');
    const stateful = ours.flatMap((file) =>
      readFileSync(path.join(__dirname, '..', '..', file), 'utf8')
        .split('\n')
        .flatMap((line, i) =>
          /^(export )?(let|var) |^(export )?const \w+(: [^=]+)? = new (Map|Set|WeakMap|WeakSet)\b/.test(line)
            ? [`${file}:${i + 1}: ${line}`]
            : [],
        ),
    );
    expect(stateful).toEqual([]);
  });

  it('replays every recorded history, as the bundle of the replay tooling does', async () => {
    const fixtures = loadFixtures();
    const feed = (async function* () {
      for (const f of fixtures) yield { workflowId: f.file, history: f.history };
    })();
    const failed: string[] = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, feed))
      if (r.error) failed.push(`${r.workflowId}: ${r.error.message}`);
    expect(failed).toEqual([]);
    expect(fixtures.length).toBeGreaterThan(0);
  }, 120_000);

  it('refuses invalid addresses and repairs, accepts a valid address normalized, in saga after saga', async () => {
    const accounts = createAccountService({ store: services.store });
    for (const round of [1, 2, 3]) {
      const orderId = `preloaded-${round}-${randomUUID().slice(0, 8)}`;
      const { accountId } = await accounts.openAccount({ owner: orderId, initialDeposit: 100_000 });
      const sku = `SKU-${orderId}`;
      await stockDocument(services.db, sku, 10, PRICE);
      // Above the approval threshold: the saga waits for an approval, and takes address changes meanwhile.
      const input: OrderSagaInput = {
        orderId,
        customerId: `customer-${orderId}`,
        accountId,
        items: [{ sku, quantity: 2 }],
        shippingAddress: ADDRESS,
        correlationId: randomUUID(),
        settings: { ...MATRIX_SETTINGS, approvalThreshold: PRICE },
      };
      const handle = await env.client.workflow.start<OrderSagaWorkflow>(WORKFLOW_NAMES.orderSaga, {
        taskQueue,
        workflowId: `order-${orderId}`,
        args: [input],
        typedSearchAttributes: [{ key: OrderStatusKey, value: 'PENDING' }],
      });
      await waitFor(`${orderId} to wait for its approval`, async () =>
        (await handle.query(statusQuery)).awaitingApproval ? true : undefined,
      );

      const invalid = { line1: ' ', city: 'Springfield', postalCode: '12345', country: 'USA' };
      const refused = await refusal(handle.executeUpdate(updateShippingAddressUpdate, { args: [invalid] }));
      expect(refused).toContain('Invalid shipping address');
      expect(refused).toContain('country must be an ISO 3166-1 alpha-2 code');
      expect(await refusal(handle.executeUpdate(repairUpdate, { args: [{ action: 'fix-it' } as never] }))).toContain(
        'Invalid repair request',
      );

      const changed = await handle.executeUpdate(updateShippingAddressUpdate, {
        args: [{ line1: ' 2 Elm St ', city: 'Shelbyville', postalCode: '54321', country: 'de' }],
      });
      expect(changed.shippingAddress).toEqual({
        line1: '2 Elm St',
        city: 'Shelbyville',
        postalCode: '54321',
        country: 'DE',
      });

      await handle.signal(approveSignal, { by: 'key-operator' });
      expect(await handle.result()).toMatchObject({ orderId, status: 'COMPLETED' });
    }
  }, 120_000);
});
