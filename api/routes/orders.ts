import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { Db } from 'mongodb';
import { z } from 'zod';
import type { Config } from '../../config';
import { sagaSettings } from '../../config/saga';
import type { createInventoryCatalog } from '../../activities/inventory';
import { approveSignal, cancelUpdate, rejectSignal, statusQuery, updateShippingAddressUpdate } from '../../workflows/definitions';
import { CustomerIdKey, OrderIdKey, OrderStatusKey } from '../../workflows/search-attributes';
import { orderWorkflowId, type OrderSagaInput, type SagaStatus } from '../../workflows/types';
import { correlationIdOf } from '../correlation';
import { ownCustomer } from '../auth';
import { orderCollection } from '../../activities/order';
import { HttpError, notFound } from '../errors';
import { createIdempotency } from '../idempotency';
import { parse } from '../validate';
import { shippingAddressSchema } from '../../domain/orders';
import { skuSchema } from './inventory';

export const id = z.string().trim().min(1).max(100).regex(/^[\w.:@-]+$/, 'ids are letters, digits and . : @ _ -');

export const placeOrderSchema = z.strictObject({
  customerId: id,
  accountId: id,
  items: z
    .array(z.strictObject({ sku: skuSchema, quantity: z.number().int().positive().max(10_000) }))
    .min(1, 'an order needs at least one item')
    .max(100),
  shippingAddress: shippingAddressSchema,
});

const orderIdParams = z.object({ orderId: id });
export const rejectBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() });

export function orderRoutes(deps: { client: Client; db: Db; config: Config; catalog: ReturnType<typeof createInventoryCatalog>; sagasStarted?: { inc(): void } }): Router {
  const router = Router();
  const idempotency = createIdempotency(deps.db);

  /** The saga of an order the platform knows; 404 otherwise. */
  async function sagaOf(orderId: string, res?: Response): Promise<WorkflowHandle> {
    const own = res && ownCustomer(res);
    if (own !== undefined) {
      // A client sees only its own orders; another customer's order does not exist for it.
      const order = await orderCollection(deps.db).findOne({ _id: orderId }, { projection: { customerId: 1 } });
      if (order?.customerId !== own) throw notFound(`Order ${orderId}`);
    }
    const handle = deps.client.workflow.getHandle(orderWorkflowId(orderId));
    try {
      await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(`Order ${orderId}`);
      throw err;
    }
    return handle;
  }

  async function liveStatus(handle: WorkflowHandle): Promise<SagaStatus> {
    return handle.query(statusQuery);
  }

  router.post('/orders', async (req, res) => {
    const body = parse(placeOrderSchema, req.body, 'body');
    const own = ownCustomer(res);
    if (own !== undefined && body.customerId !== own) throw new HttpError(403, 'forbidden', 'A client may place orders for its own customer id only');
    const key = req.header('idempotency-key');
    let orderId: string = randomUUID();
    if (key !== undefined) orderId = (await idempotency.claim('orders', key, body, orderId)).resourceId;

    const { unknown } = await deps.catalog.prices(body.items.map((i) => i.sku));
    if (unknown.length > 0) {
      throw new HttpError(422, 'unknown_sku', `Unknown SKU: ${unknown.join(', ')}`, unknown.map((sku) => ({ field: 'items', sku })));
    }
    const workflowId = orderWorkflowId(orderId);
    const input: OrderSagaInput = { orderId, ...body, correlationId: correlationIdOf(req), settings: sagaSettings(deps.config) };
    try {
      await deps.client.workflow.start('orderSaga', {
        workflowId,
        taskQueue: deps.config.TASK_QUEUE,
        args: [input],
        // One saga per order id, ever: a replayed request must not run a finished order again.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        // Operators find sagas by order and customer in the Web UI and with `temporal workflow list --query`.
        typedSearchAttributes: [
          { key: OrderIdKey, value: orderId },
          { key: CustomerIdKey, value: body.customerId },
          { key: OrderStatusKey, value: 'PENDING' },
        ],
        memo: { customerId: body.customerId, accountId: body.accountId, correlationId: input.correlationId },
      });
      deps.sagasStarted?.inc();
    } catch (err) {
      // The same Idempotency-Key again (or a retry after a crash between claim and start).
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    res.status(202).location(`/orders/${orderId}`).json({ orderId, workflowId, status: 'PENDING' });
  });

  router.get('/orders/:orderId/saga', async (req, res) => {
    const { orderId } = parse(orderIdParams, req.params, 'params');
    res.json(await liveStatus(await sagaOf(orderId, res)));
  });

  /** Approve and reject are signals (operators also send them with `temporal workflow signal`). */
  async function decide(req: Request, res: Response, action: 'approve' | 'reject') {
    const { orderId } = parse(orderIdParams, req.params, 'params');
    const body = parse(rejectBody, req.body ?? {}, 'body');
    const handle = await sagaOf(orderId);
    const status = await liveStatus(handle);
    if (!status.awaitingApproval) throw new HttpError(409, 'invalid_state', `Order ${orderId} is not awaiting approval (status ${status.status})`);
    if (action === 'approve') await handle.signal(approveSignal, {});
    else await handle.signal(rejectSignal, body);
    res.status(202).json({ orderId, accepted: action });
  }
  router.post('/orders/:orderId/approve', (req, res) => decide(req, res, 'approve'));
  router.post('/orders/:orderId/reject', (req, res) => decide(req, res, 'reject'));

  router.put('/orders/:orderId/shipping-address', async (req, res) => {
    const { orderId } = parse(orderIdParams, req.params, 'params');
    const address = parse(shippingAddressSchema, req.body, 'body');
    const handle = await sagaOf(orderId);
    try {
      const status = await handle.executeUpdate(updateShippingAddressUpdate, { args: [address] });
      res.status(202).json({ orderId, shippingAddress: status.shippingAddress, status: status.status });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new HttpError(409, 'invalid_state', err.cause?.message ?? 'The shipping address can no longer change');
      if (err instanceof WorkflowNotFoundError) throw new HttpError(409, 'invalid_state', `Order ${orderId} has finished`);
      throw err;
    }
  });

  /**
   * Cancel is the saga's `cancel` Update: the workflow accepts or refuses it in one step, so a
   * cancel can never slip past the point of no return (409 then) nor race the saga's own progress.
   */
  router.post('/orders/:orderId/cancel', async (req, res) => {
    const { orderId } = parse(orderIdParams, req.params, 'params');
    const body = parse(rejectBody, req.body ?? {}, 'body');
    const handle = await sagaOf(orderId);
    try {
      const accepted = await handle.executeUpdate(cancelUpdate, { args: [{ ...(body.reason && { reason: body.reason }), by: req.header('x-operator') ?? 'api' }] });
      res.status(202).json(accepted);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        // Sagas started before cancel was an Update have no handler for it: cancel them as before.
        if (/no registered handler/i.test(err.cause?.message ?? '')) return legacyCancel(orderId, handle, res);
        throw new HttpError(409, 'invalid_state', err.cause?.message ?? `Order ${orderId} can no longer be cancelled`);
      }
      if (err instanceof WorkflowNotFoundError) throw new HttpError(409, 'invalid_state', `Order ${orderId} has already finished`);
      throw err;
    }
  });

  async function legacyCancel(orderId: string, handle: WorkflowHandle, res: Response) {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') throw new HttpError(409, 'invalid_state', `Order ${orderId} has already finished (${description.status.name})`);
    const status = await liveStatus(handle);
    if (status.status === 'COMPENSATING' || status.status === 'CANCELLED') throw new HttpError(409, 'invalid_state', `Order ${orderId} is already being cancelled`);
    await handle.cancel();
    res.status(202).json({ orderId, accepted: 'cancel', status: status.status });
  }

  return router;
}
