import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WithStartWorkflowOperation,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { Db } from 'mongodb';
import { z } from 'zod';
import type { Config } from '../../config';
import { sagaSettings } from '../../config/saga';
import type { InventoryCatalog, OrderCustomers } from '../../activities/services';
import {
  approveSignal,
  cancelUpdate,
  CustomerIdKey,
  OrderIdKey,
  OrderStatusKey,
  orderDetails,
  orderSummary,
  orderWorkflowId,
  placedUpdate,
  placedUpdateId,
  placementQuery,
  rejectSignal,
  repairUpdate,
  statusQuery,
  updateShippingAddressUpdate,
  type OrderPlaced,
  type OrderSagaInput,
  type OrderSagaWorkflow,
  type SagaStatus,
  WORKFLOW_NAMES,
} from '../../workflows/client';
import { correlationIdOf } from '../correlation';
import { actorOf, ownCustomer } from '../auth';
import { HttpError, notFound } from '../errors';
import { idFromSeed, type Answer, type Idempotency } from '../idempotency';
import { accountHolders } from '../account-holders';
import type { AccountService } from '../../domain/accounts';
import { parse } from '../validate';
import { INITIAL_STATUS, ORDER_STATUS, shippingAddressSchema, UNDONE_STATUSES } from '../../domain/orders';
import { approvedPriority, placedPriority } from '../../domain/orders/priority';
import { ERASED } from '../../domain/personal-data';
import { orderIdParams, placeOrderSchema, reasonBody, repairBody } from '../contract';
import { settleWorkflowId } from '../../domain/orders/settlement';
import type { RepairAccepted, RepairRequest } from '../../domain/orders/repair';
import { policedRouter, type PoliceDeps } from '../policed-router';
import type { PersonalData } from '../../infra/personal-data';

export function orderRoutes(deps: {
  police: PoliceDeps;
  client: Client;
  db: Db;
  config: Config;
  catalog: InventoryCatalog;
  accounts: AccountService;
  /** The order's own record (its first event), not the read model: an order just placed may not be there yet. */
  customers: OrderCustomers;
  sagasStarted?: { inc(): void };
  idempotency: Idempotency;
  personalData: PersonalData;
}): Router {
  const router = policedRouter(deps.police);
  const { accounts, customers } = deps;
  const holders = accountHolders(accounts);

  /** The saga of an order the platform knows; 404 otherwise (whose it is, the access policy checked). */
  async function sagaOf(orderId: string): Promise<WorkflowHandle> {
    const handle = deps.client.workflow.getHandle(orderWorkflowId(orderId));
    try {
      await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(`Order ${orderId}`);
      throw err;
    }
    return handle;
  }

  /**
   * Where a repair or a cancel goes: the saga while it runs; once it has closed without an outcome,
   * the settlement that holds its order in NEEDS_ATTENTION for an operator (SETTLE_POLICY=hold).
   */
  async function receiverOf(orderId: string, saga: WorkflowHandle): Promise<WorkflowHandle> {
    if ((await saga.describe()).status.name === 'RUNNING') return saga;
    const settlement = deps.client.workflow.getHandle(settleWorkflowId(orderId));
    const holding = await settlement.describe().then(
      (d) => d.status.name === 'RUNNING',
      () => false,
    );
    return holding ? settlement : saga;
  }

  /** The saga's state, its personal fields opened for the caller (the saga itself holds them sealed). */
  async function liveStatus(handle: WorkflowHandle): Promise<SagaStatus> {
    return deps.personalData.openDeep(await handle.query(statusQuery));
  }

  /**
   * Everything that can refuse an order is checked before anything is written or started: the
   * SKUs, and the account it is paid from. A client may pay only from an account its customer
   * holds, and learns nothing about any other account: a missing one and someone else's get the
   * same 422.
   */
  async function checkOrder(
    body: z.infer<typeof placeOrderSchema>,
    res: Response,
  ): Promise<ReadonlyMap<string, number>> {
    const { prices, unknown } = await deps.catalog.prices(body.items.map((i) => i.sku));
    if (unknown.length > 0) {
      throw new HttpError(
        422,
        'unknown_sku',
        `Unknown SKU: ${unknown.join(', ')}`,
        unknown.map((sku) => ({ field: 'items', sku })),
      );
    }
    const own = ownCustomer(res);
    const [account, mine] = await Promise.all([
      holders.of(body.accountId),
      own !== undefined ? deps.personalData.pseudonymIfKnown(own) : null,
    ]);
    // The account records its holder by pseudonym: a client's own pseudonym must match it.
    if (own !== undefined ? mine === null || account?.customer !== mine : !account) {
      throw new HttpError(
        422,
        'account_unusable',
        `accountId ${body.accountId} is not an account ${own !== undefined ? 'you can pay with' : 'that exists'}`,
        [{ field: 'accountId' }],
      );
    }
    return prices;
  }

  router.post('/orders', async (req, res) => {
    const body = parse(placeOrderSchema, req.body, 'body');
    await deps.idempotency.run(req, res, 'orders.place', body, async (seed) => {
      const prices = await checkOrder(body, res);
      const orderId = seed ? idFromSeed(seed) : randomUUID();
      return startSaga(req, orderId, body, prices);
    });
  });

  /**
   * Starts the saga and, in the same call, sends it the `placed` Update (Update-with-Start): the
   * answer carries what the saga decided (its prices, the total, whether it needs approval) as soon
   * as its first step has run, while the saga goes on. The Update's id follows from the order id,
   * and the order id from the Idempotency-Key: a retry after a crash (or after the key's retention)
   * joins the same saga and gets the same Update's answer, even once the saga has closed.
   */
  async function startSaga(
    req: Request,
    orderId: string,
    body: z.infer<typeof placeOrderSchema>,
    prices: ReadonlyMap<string, number>,
  ): Promise<Answer> {
    const workflowId = orderWorkflowId(orderId);
    // Personal data enters the saga sealed with the customer's key: Temporal's history, the
    // activities' arguments and dead letters hold only ciphertext of it, and erasing the customer
    // makes every copy unreadable. The customer's id itself travels sealed too; search attributes,
    // events and read models match on its pseudonym instead.
    // One key lookup for the whole order, so an erasure racing it erases all of it or none of it.
    const sealer = await deps.personalData.sealerFor(body.customerId);
    const shippingAddress = sealer.sealAddress(body.shippingAddress);
    const { customerId, customer } = sealer.customer();
    // The prices the order was checked with go with it, so its first step does not read the catalog again.
    const input: OrderSagaInput = {
      orderId,
      ...body,
      customerId,
      customer,
      shippingAddress,
      correlationId: correlationIdOf(req),
      settings: sagaSettings(deps.config),
      prices: Object.fromEntries(prices),
    };
    const updateId = placedUpdateId(orderId);
    let placed: OrderPlaced;
    try {
      const start = new WithStartWorkflowOperation<OrderSagaWorkflow>(WORKFLOW_NAMES.orderSaga, {
        workflowId,
        taskQueue: deps.config.TASK_QUEUE,
        args: [input],
        // A running saga of this order is joined (the Update id makes the answer the same);
        // a finished one is never run again.
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        // Operators find sagas by order and customer in the Web UI and with `temporal workflow list --query`.
        typedSearchAttributes: [
          { key: OrderIdKey, value: orderId },
          { key: CustomerIdKey, value: customer },
          { key: OrderStatusKey, value: INITIAL_STATUS },
        ],
        memo: { accountId: body.accountId, correlationId: input.correlationId },
        // The Web UI's story of the order: a one-line summary (no personal data) and Markdown
        // details, priced from the catalog as the order is placed (the saga records the same prices).
        staticSummary: orderSummary(
          orderId,
          body.items,
          body.items.reduce((sum, i) => sum + (prices.get(i.sku) ?? 0) * i.quantity, 0),
        ),
        staticDetails: orderDetails(input, prices),
        // Its customer's share of the task queue (the pseudonym: Temporal shows the key), so one
        // customer's flood of orders waits behind itself, not in front of everyone else's.
        // The saga's activities inherit it.
        priority: placedPriority(customer),
      });
      placed = await deps.client.workflow.executeUpdateWithStart(placedUpdate, {
        updateId,
        startWorkflowOperation: start,
      });
      deps.sagasStarted?.inc();
    } catch (err) {
      // The same key after its retention, once the saga has closed: the order id follows from the
      // key, one saga per order id is all Temporal allows, and the Update's answer is in its history.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const handle = deps.client.workflow.getHandle(workflowId);
      // A saga that closed without ever receiving the Update (a server restart between start and
      // Update, a start from the CLI) still answers the same thing through its query.
      placed = await handle
        .getUpdateHandle<OrderPlaced>(updateId)
        .result()
        .catch((lookup: unknown) => {
          if (lookup instanceof WorkflowNotFoundError) return handle.query(placementQuery);
          throw lookup;
        });
    }
    return { status: 202, headers: { Location: `/orders/${orderId}` }, body: placed };
  }

  router.get('/orders/:orderId/saga', async (req, res) => {
    const { orderId } = parse(orderIdParams, req.params, 'params');
    res.json(await liveStatus(await sagaOf(orderId)));
  });

  /**
   * Whose key seals what is said about an order (a new address, a reason): the customer the order
   * records (sealed, so opened first); an order whose customer is unknown or erased gets a key of
   * its own.
   */
  async function subjectOf(orderId: string): Promise<string> {
    const recorded = (await customers.of(orderId))?.customerId;
    const customerId = recorded === undefined ? ERASED : await deps.personalData.open(recorded);
    return customerId === ERASED ? `order:${orderId}` : customerId;
  }

  /** A reason is free text a person typed, so it may name someone: it enters the saga sealed. */
  const sealedReason = async (orderId: string, reason: string | undefined) =>
    reason === undefined ? undefined : deps.personalData.seal(await subjectOf(orderId), reason);

  async function raisePriority(handle: WorkflowHandle): Promise<void> {
    await deps.client.workflowService.updateWorkflowExecutionOptions({
      namespace: deps.client.options.namespace,
      workflowExecution: { workflowId: handle.workflowId },
      workflowExecutionOptions: { priority: approvedPriority() },
      updateMask: { paths: ['priority.priority_key'] },
    });
  }

  /** Approve and reject are signals (operators also send them with `temporal workflow signal`). */
  async function decide(req: Request, res: Response, action: 'approve' | 'reject') {
    const { orderId } = parse(orderIdParams, req.params, 'params');
    const body = parse(reasonBody, req.body ?? {}, 'body');
    const handle = await sagaOf(orderId);
    const status = await liveStatus(handle);
    if (!status.awaitingApproval)
      throw new HttpError(409, 'invalid_state', `Order ${orderId} is not awaiting approval (status ${status.status})`);
    // The decision records who made it: the key's id, as audit records do.
    if (action === 'approve') {
      // The approved saga's remaining steps go ahead of new orders' first steps: its activities
      // inherit the saga's priority when they are scheduled, so it is raised before the signal
      // that schedules them. Its fairness key stays.
      await raisePriority(handle);
      await handle.signal(approveSignal, { by: actorOf(res) });
    } else {
      const reason = await sealedReason(orderId, body.reason);
      await handle.signal(rejectSignal, { ...(reason !== undefined && { reason }), by: actorOf(res) });
    }
    res.status(202).json({ orderId, accepted: action });
  }
  router.post('/orders/:orderId/approve', (req, res) => decide(req, res, 'approve'));
  router.post('/orders/:orderId/reject', (req, res) => decide(req, res, 'reject'));

  router.put('/orders/:orderId/shipping-address', async (req, res) => {
    const { orderId } = parse(orderIdParams, req.params, 'params');
    const plain = parse(shippingAddressSchema, req.body, 'body');
    const handle = await sagaOf(orderId);
    const address = await deps.personalData.sealAddress(await subjectOf(orderId), plain);
    try {
      const status = await handle.executeUpdate(updateShippingAddressUpdate, { args: [address] });
      res.status(202).json({
        orderId,
        shippingAddress: await deps.personalData.openDeep(status.shippingAddress),
        status: status.status,
      });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError)
        throw new HttpError(409, 'invalid_state', err.cause?.message ?? 'The shipping address can no longer change');
      if (err instanceof WorkflowNotFoundError)
        throw new HttpError(409, 'invalid_state', `Order ${orderId} has finished`);
      throw err;
    }
  });

  /**
   * An operator's repair of a saga waiting in NEEDS_ATTENTION is the saga's `repair` Update: the
   * saga's validator accepts it only while the saga waits (409 otherwise, with its reason), and the
   * saga acts on it at once. The address and the reason enter the saga sealed, and the repair is
   * audited with the key's id.
   *
   * A retry of a repair must not repair twice: once the saga has run its step again and waits
   * anew, a resent `retry` would be accepted by the validator as a second repair. With an
   * Idempotency-Key the resend gets the first answer and the saga is not asked again; the key's seed
   * names the Update and the audit record too, so a holder that died after the Update (its claim
   * taken over) gets Temporal's answer to that same Update and writes no second record.
   */
  router.post('/orders/:orderId/repair', async (req, res) => {
    const { orderId } = parse(orderIdParams, req.params, 'params');
    const body = parse(repairBody, req.body ?? {}, 'body');
    await deps.idempotency.run(req, res, 'orders.repair', { orderId, ...body }, async (seed) => ({
      status: 202,
      body: await repairSaga(orderId, body, res, seed),
    }));
  });

  async function repairSaga(
    orderId: string,
    body: z.infer<typeof repairBody>,
    res: Response,
    seed: string | undefined,
  ): Promise<RepairAccepted> {
    const handle = await sagaOf(orderId);
    const by = actorOf(res);
    let request: RepairRequest;
    if (body.action === 'retry') request = { action: 'retry', by };
    else if (body.action === 'correct')
      request = {
        action: 'correct',
        by,
        shippingAddress: await deps.personalData.sealAddress(await subjectOf(orderId), body.shippingAddress),
      };
    else request = { action: 'compensate', by, reason: (await sealedReason(orderId, body.reason))! };
    let accepted: RepairAccepted;
    try {
      accepted = await (
        await receiverOf(orderId, handle)
      ).executeUpdate(repairUpdate, {
        args: [request],
        ...(seed && { updateId: `repair-${orderId}-${seed}` }),
      });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError)
        throw new HttpError(409, 'invalid_state', err.cause?.message ?? `Order ${orderId} is not waiting for a repair`);
      if (err instanceof WorkflowNotFoundError)
        throw new HttpError(409, 'invalid_state', `Order ${orderId} has finished: it is not waiting for a repair`);
      throw err;
    }
    await deps.db
      .collection('audit_log')
      .insertOne({
        _id: (seed ? `repair-${seed}` : randomUUID()) as never,
        action: 'repair-order',
        orderId,
        repair: body.action,
        at: new Date(),
        by,
      })
      .catch((err: unknown) => {
        // The same keyed repair audited by a holder that died before answering: one record is enough.
        if ((err as { code?: number }).code !== 11000) throw err;
      });
    return accepted;
  }

  /**
   * Cancel is the saga's `cancel` Update: the workflow accepts or refuses it in one step, so a
   * cancel can never slip past the point of no return (409 then) nor race the saga's own progress.
   * Repeating a cancel is safe: an order already being cancelled (or undoing itself after a
   * failure), or one that ended cancelled, answers 202 with its current status, as the first did.
   */
  router.post('/orders/:orderId/cancel', async (req, res) => {
    const { orderId } = parse(orderIdParams, req.params, 'params');
    const body = parse(reasonBody, req.body ?? {}, 'body');
    const handle = await sagaOf(orderId);
    try {
      const reason = await sealedReason(orderId, body.reason);
      const accepted = await (
        await receiverOf(orderId, handle)
      ).executeUpdate(cancelUpdate, {
        args: [{ ...(reason !== undefined && { reason }), by: actorOf(res) }],
      });
      res.status(202).json(await deps.personalData.openDeep(accepted));
    } catch (err) {
      // Sagas started before cancel was an Update have no handler for it: cancel them as before.
      if (err instanceof WorkflowUpdateFailedError && /no registered handler/i.test(err.cause?.message ?? ''))
        return legacyCancel(orderId, handle, res);
      // Refused by the saga (or the saga has closed): a repeat of an earlier cancel, or too late.
      if (!(err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError)) throw err;
      const status = await statusOf(orderId, handle);
      if (beingCancelled(status)) {
        res.status(202).json(cancelAnswer(orderId, status));
        return;
      }
      const refusal = err instanceof WorkflowUpdateFailedError ? err.cause?.message : undefined;
      throw new HttpError(
        409,
        'invalid_state',
        refusal ??
          `Order ${orderId} has ${status.status === ORDER_STATUS.COMPLETED ? 'completed' : `finished (${status.status})`} and can no longer be cancelled`,
      );
    }
  });

  async function legacyCancel(orderId: string, handle: WorkflowHandle, res: Response) {
    const status = await statusOf(orderId, handle);
    if (beingCancelled(status)) {
      res.status(202).json(cancelAnswer(orderId, status));
      return;
    }
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING')
      throw new HttpError(
        409,
        'invalid_state',
        `Order ${orderId} has already finished (${status.status}) and can no longer be cancelled`,
      );
    await handle.cancel();
    res.status(202).json(cancelAnswer(orderId, status));
  }

  /** The saga's state, also once it has closed (a query replays its history); 404 if it is gone. */
  async function statusOf(orderId: string, handle: WorkflowHandle): Promise<SagaStatus> {
    try {
      return await liveStatus(handle);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(`Order ${orderId}`);
      throw err;
    }
  }

  return router;
}

/**
 * A cancel was accepted earlier, or the saga is undoing (or has undone) the order for another reason:
 * COMPENSATION_INCOMPLETE is cancelled too, with compensations parked for an operator.
 */
const beingCancelled = (status: SagaStatus): boolean =>
  status.cancelRequested === true || UNDONE_STATUSES.includes(status.status);

const cancelAnswer = (orderId: string, status: SagaStatus) => ({
  orderId,
  accepted: 'cancel' as const,
  status: status.status,
});
