import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createWorker } from '../../../workers/worker';
import { apiOf, type Stack } from '../../helpers/stack';
import { faultsOf } from '../../helpers/faults';
import { fastSaga, useSagaStack } from '../../helpers/saga';
import { waitFor } from '../../helpers/wait-for';
import { workerActivities } from '../../../composition';

const root = path.resolve(__dirname, '..', '..', '..');

/** The real worker process (workers/main.ts), as npm start runs it. */
async function startWorkerProcess(stack: Stack): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'workers', 'main.ts')], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: stack.config.TEMPORAL_ADDRESS,
      MONGODB_URI: stack.config.MONGODB_URI,
      MONGODB_DB: stack.config.MONGODB_DB,
      TASK_QUEUE: stack.config.TASK_QUEUE,
      LOG_LEVEL: 'warn',
      // Several test files may run workers at once: no fixed metrics or health port to collide on.
      WORKER_METRICS_PORT: '0',
      WORKER_HEALTH_PORT: '0',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
  });
  return child;
}

describe('order saga: a worker killed in the middle of a step', () => {
  const t = useSagaStack(fastSaga, { worker: false });

  for (const service of ['payment', 'inventory'] as const) {
    it(`completes after a new worker starts, with no double charge and no double reservation (killed after the ${service} side effect)`, async () => {
      const accountId = await t.h.openAccount(10_000);
      const sku = t.h.unique('SKU');
      await t.h.stock(sku, 5, 1_200);
      // The step does its work, then hangs before reporting completion: the window where a crash
      // leaves a side effect that Temporal does not know about.
      await faultsOf(apiOf(t.stack)).inject(service, { mode: 'hang-after-effect', hangMs: 60_000, failures: 1 });

      const worker = await startWorkerProcess(t.stack);
      const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 2 }] });
      const sideEffect = service === 'payment' ? 'PaymentCompleted' : 'ItemsReserved';
      await waitFor(`the ${service} side effect`, async () =>
        (await t.h.orderEvents(orderId)).some((e) => e.type === sideEffect),
      );
      // Killed only once the step hangs after its effect (the fault's one failure is used up): a
      // kill between the effect and the hang would leave the fault for the retry to hang on.
      await waitFor(`the ${service} step to hang after its effect`, async () => {
        const { faults } = await faultsOf(apiOf(t.stack)).listed();
        return faults.find((f) => f._id === service)?.failures === 0;
      });
      worker.kill('SIGKILL');
      await new Promise((r) => worker.once('exit', r));

      const replacement = await createWorker({
        connection: t.stack.nativeConnection,
        config: t.stack.config,
        db: t.stack.mongo.db,
        activities: workerActivities({ db: t.stack.mongo.db }),
      });
      const result = await replacement.runUntil(t.h.result(orderId));
      expect(result.status).toBe('COMPLETED');

      expect(await t.h.balance(accountId)).toBe(10_000 - 2_400);
      expect((await t.h.accountEvents(accountId)).filter((e) => e.type === 'Withdrawn')).toHaveLength(1);
      expect(await t.h.level(sku)).toMatchObject({ available: 3, reserved: 2 });
      const types = (await t.h.orderEvents(orderId)).map((e) => e.type);
      expect(types.filter((t) => t === 'PaymentCompleted')).toHaveLength(1);
      expect(types.filter((t) => t === 'ItemsReserved')).toHaveLength(1);
      // The interrupted step really was retried by Temporal.
      const history = await t.stack.client.workflow.getHandle(`order-${orderId}`).fetchHistory();
      expect(history.events!.some((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 0) >= 2)).toBe(true);
    });
  }
});
