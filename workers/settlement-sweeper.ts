import { Client, WorkflowNotFoundError, type ConnectionLike } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { Db } from 'mongodb';
import { createSettlementDetection, type ClosedSaga } from '../activities/settle-detection';
import { sagaSettings } from '../config/saga';
import type { Config } from '../config';
import { TERMINAL_STATUSES, ORDER_STATUSES } from '../domain/orders/status';
import { settleWorkflowId, UNSETTLING_CLOSES } from '../domain/orders/settlement';
import { dataConverter } from '../infra/data-converter';
import type { Logger } from '../infra/logger';
import { ordersProjection, readModel } from '../readside';
import { orderWorkflowId, WORKFLOW_NAMES, type OrderSagaInput, type SettleOrderWorkflow } from '../workflows/client';

/** How many orders one sweep looks at by each way of finding them; the rest wait for the next sweep. */
const PER_SWEEP = 200;

/** `TIMED_OUT` -> `TimedOut`: a describe's status in the spelling of visibility queries (which writes `Canceled`). */
const visibilitySpelling = (name: string) =>
  name
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')
    .replace(/^Cancelled$/, 'Canceled');

export interface SettlementSweeper {
  /** One sweep; answers the orders whose settlement it started (or joined). */
  sweep(): Promise<string[]>;
  stop(): void;
}

/**
 * The worker's sweep for orders whose saga ended without an outcome (terminated from the CLI or
 * the Web UI, timed out, failed): Temporal runs no workflow code then, so nothing else would
 * notice. Every SETTLE_SWEEP_INTERVAL it finds them two ways:
 *
 * - closed sagas of this task queue, from Temporal's visibility (`ExecutionStatus IN (...)`),
 *   whose order the settlements ledger does not hold settled;
 * - orders the read model shows without an outcome and unchanged for two intervals, whose saga is
 *   no longer running (a visibility record missed, a step of an ended saga that landed late).
 *
 * For each it starts the workflow `settle-<orderId>` (workflows/settle-order.ts), which looks at
 * the order on its stream (a read model only points the way), records it in the ledger
 * (GET /orders/unsettled, the metrics) and settles it by SETTLE_POLICY (under `hold` it waits there
 * for an operator's repair, POST /orders/:orderId/repair). Several workers may sweep
 * at once: a settlement already running is joined, and a new run of one that ended (a terminated
 * settlement) repeats nothing it did.
 */
export function startSettlementSweeper(deps: {
  connection: ConnectionLike;
  config: Config;
  db: Db;
  log: Pick<Logger, 'info' | 'warn'>;
}): SettlementSweeper {
  const { config, db, log } = deps;
  const client = new Client({
    connection: deps.connection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: dataConverter(config),
  });
  const detection = createSettlementDetection({ db });
  const prefix = orderWorkflowId('');

  async function closedByVisibility(): Promise<ClosedSaga[]> {
    const closes = UNSETTLING_CLOSES.map((c) => `'${c}'`).join(', ');
    const query = `WorkflowType = '${WORKFLOW_NAMES.orderSaga}' AND TaskQueue = '${config.TASK_QUEUE}' AND ExecutionStatus IN (${closes})`;
    const found: ClosedSaga[] = [];
    for await (const execution of client.workflow.list({ query, pageSize: PER_SWEEP })) {
      if (!execution.workflowId.startsWith(prefix)) continue;
      found.push({
        orderId: execution.workflowId.slice(prefix.length),
        close: visibilitySpelling(execution.status.name),
        runId: execution.runId,
        ...(execution.closeTime && { closedAt: execution.closeTime }),
      });
    }
    return found;
  }

  /** Orders without an outcome that have not moved for two sweeps, whose saga is no longer running. */
  async function closedByReadModel(): Promise<ClosedSaga[]> {
    const orders = await readModel(db, ordersProjection, 'orders');
    const quiet = await orders
      .find(
        {
          status: { $in: ORDER_STATUSES.filter((s) => !TERMINAL_STATUSES.includes(s)) },
          updatedAt: { $lt: new Date(Date.now() - 2 * config.SETTLE_SWEEP_INTERVAL) },
        },
        { projection: { _id: 1 } },
      )
      .limit(PER_SWEEP)
      .toArray();
    const found: ClosedSaga[] = [];
    for (const { _id } of quiet) {
      const orderId = String(_id);
      try {
        const description = await client.workflow.getHandle(orderWorkflowId(orderId)).describe();
        if (description.status.name === 'RUNNING') continue;
        found.push({
          orderId,
          close: visibilitySpelling(description.status.name),
          runId: description.runId,
          ...(description.closeTime && { closedAt: description.closeTime }),
        });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        found.push({ orderId, close: 'NotFound' });
      }
    }
    return found;
  }

  /** Whether the saga's latest run closed without an outcome too (then it is the one settled). */
  async function latestRunEndedWithout(saga: ClosedSaga): Promise<boolean> {
    const latest = await client.workflow.getHandle(orderWorkflowId(saga.orderId)).describe();
    const close = visibilitySpelling(latest.status.name);
    if (!(UNSETTLING_CLOSES as readonly string[]).includes(close)) return false;
    Object.assign(saga, {
      close,
      runId: latest.runId,
      ...(latest.closeTime && { closedAt: latest.closeTime }),
    });
    return true;
  }

  /** The saga's input (its facts record an order it never got to record), while its history is kept. */
  async function sagaInput(saga: ClosedSaga): Promise<OrderSagaInput | undefined> {
    if (saga.close === 'NotFound') return undefined;
    try {
      const history = await client.workflow.getHandle(orderWorkflowId(saga.orderId), saga.runId).fetchHistory();
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      return await decodeFromPayloadsAtIndex<OrderSagaInput>(
        client.options.loadedDataConverter,
        0,
        started?.input?.payloads,
      );
    } catch (err) {
      log.warn(
        { orderId: saga.orderId, err: String(err) },
        "settling without the saga's input: its history is unreadable",
      );
      return undefined;
    }
  }

  async function start(saga: ClosedSaga): Promise<void> {
    const input = await sagaInput(saga);
    const workflowId = settleWorkflowId(saga.orderId);
    await client.workflow.start<SettleOrderWorkflow>(WORKFLOW_NAMES.settleOrder, {
      workflowId,
      taskQueue: config.TASK_QUEUE,
      args: [
        {
          orderId: saga.orderId,
          close: saga.close,
          policy: config.SETTLE_POLICY,
          ...(saga.runId !== undefined && { sagaRunId: saga.runId }),
          ...(saga.closedAt !== undefined && { sagaClosedAt: saga.closedAt.toISOString() }),
          ...(input && {
            facts: {
              customerId: input.customerId,
              ...(input.customer !== undefined && { customer: input.customer }),
              accountId: input.accountId,
              items: input.items,
              shippingAddress: input.shippingAddress,
            },
            correlationId: input.correlationId,
          }),
          compensationPolicy: sagaSettings(config).compensationPolicy,
          // A held order is finished with the forward steps' policies and waits the saga's repair wait.
          ...(config.SETTLE_POLICY === 'hold' && { settings: sagaSettings(config) }),
        },
      ],
      // One settlement at a time per order (a running one is joined); one that ended may run
      // again while the order still has no outcome (it was terminated itself): it repeats nothing.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `settle order ${saga.orderId}: its saga ended without outcome (${saga.close})`,
    });
    if (config.SETTLE_POLICY !== 'report') await detection.settling(saga, workflowId, config.SETTLE_POLICY);
  }

  async function sweep(): Promise<string[]> {
    const candidates = new Map<string, ClosedSaga>();
    // Each way of finding them on its own: a read model that is not there (a worker without the
    // read side) does not keep the sweep from the sagas visibility lists.
    const found = await Promise.all(
      [closedByVisibility, closedByReadModel].map((find) =>
        find().catch((err: unknown) => {
          log.warn({ err: String(err), how: find.name }, 'settlement sweep could not look one way; trying again later');
          return [];
        }),
      ),
    );
    for (const saga of found.flat()) if (!candidates.has(saga.orderId)) candidates.set(saga.orderId, saga);
    const done = await detection.done([...candidates.keys()], config.SETTLE_POLICY);
    for (const orderId of done) candidates.delete(orderId);
    // A closed run is not the saga's last word when a later run goes on (a reset from the Web UI
    // closes the run it resets from): only a saga whose latest run has closed is settled.
    for (const saga of [...candidates.values()])
      if (saga.close !== 'NotFound' && !(await latestRunEndedWithout(saga))) candidates.delete(saga.orderId);
    const started: string[] = [];
    for (const saga of [...candidates.values()].slice(0, PER_SWEEP)) {
      await start(saga);
      started.push(saga.orderId);
    }
    if (started.length > 0)
      log.info(
        { orders: started.length, policy: config.SETTLE_POLICY },
        'settling orders whose saga ended without outcome',
      );
    return started;
  }

  if (config.SETTLE_SWEEP_INTERVAL === 0) return { sweep, stop: () => {} };
  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    sweep()
      .catch((err: unknown) => log.warn({ err: String(err) }, 'settlement sweep failed; trying again later'))
      .finally(() => {
        sweeping = false;
      });
  }, config.SETTLE_SWEEP_INTERVAL);
  timer.unref();
  return { sweep, stop: () => clearInterval(timer) };
}
