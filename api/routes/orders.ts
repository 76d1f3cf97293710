import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { z } from 'zod';
import type { Config } from '../../config';
import type { OrderDocument } from '../../activities/order';
import { orderWorkflowId, type OrderSagaInput } from '../../workflows/types';
import { notFound } from '../errors';
import { parse } from '../validate';

const id = z.string().trim().min(1).max(100);

export const placeOrderSchema = z.strictObject({
  customerId: id,
  accountId: id,
  items: z
    .array(z.strictObject({ sku: id, quantity: z.number().int().positive().max(10_000) }))
    .min(1, 'an order needs at least one item')
    .max(100),
  shippingAddress: z.strictObject({
    line1: z.string().trim().min(1).max(200),
    city: z.string().trim().min(1).max(100),
    postalCode: z.string().trim().min(1).max(20),
    country: z.string().trim().length(2, 'country must be an ISO 3166-1 alpha-2 code'),
  }),
});

const orderIdParams = z.object({ orderId: id });

export function orderRoutes(deps: { client: Client; db: Db; config: Config }): Router {
  const router = Router();
  const orders = deps.db.collection<OrderDocument>('orders');

  router.post('/orders', async (req, res) => {
    const body = parse(placeOrderSchema, req.body, 'body');
    const orderId = randomUUID();
    const workflowId = orderWorkflowId(orderId);
    const input: OrderSagaInput = { orderId, ...body, correlationId: requestCorrelationId(req.header('x-correlation-id')) };
    try {
      await deps.client.workflow.start('orderSaga', {
        workflowId,
        taskQueue: deps.config.TASK_QUEUE,
        args: [input],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    res.status(202).location(`/orders/${orderId}`).json({ orderId, workflowId, status: 'PENDING' });
  });

  router.get('/orders/:orderId', async (req, res) => {
    const { orderId } = parse(orderIdParams, req.params, 'params');
    const order = await orders.findOne({ _id: orderId });
    if (!order) throw notFound(`Order ${orderId}`);
    const { _id, ...rest } = order;
    res.json({ orderId: _id, ...rest });
  });

  return router;
}

/** Keeps a caller's correlation id when it is sane, otherwise mints one. */
function requestCorrelationId(header: string | undefined): string {
  return header && /^[\w.:-]{1,100}$/.test(header) ? header : randomUUID();
}
