import { Router } from 'express';
import { z } from 'zod';
import type { InventoryCatalog } from '../../activities/services';
import { notFound } from '../errors';
import { correlationIdOf } from '../correlation';
import { parse } from '../validate';
import type { Idempotency } from '../idempotency';
import { policedRouter, type PoliceDeps } from '../policed-router';

export const skuSchema = z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a SKU is 1-64 letters, digits, dots, dashes or underscores');

export const restockSchema = z.strictObject({
  sku: skuSchema,
  /** Units added to the available stock (0 only changes the price). */
  quantity: z.number().int().min(0).max(1_000_000),
  /** Catalog unit price in cents. */
  price: z.number().int().positive().max(100_000_000),
});

export function inventoryRoutes(deps: { police: PoliceDeps; idempotency: Idempotency; catalog: InventoryCatalog }): Router {
  const router = policedRouter(deps.police);

  router.post('/inventory', async (req, res) => {
    const body = parse(restockSchema, req.body, 'body');
    await deps.idempotency.run(req, res, 'inventory.restock', body, async (seed) => {
      const { level, position } = await deps.catalog.restock({ ...body, correlationId: correlationIdOf(req), ...(seed && { restockId: seed }) });
      return { status: 200, body: { ...level, position } };
    });
  });

  router.get('/inventory/:sku', async (req, res) => {
    const { sku } = parse(z.object({ sku: skuSchema }), req.params, 'params');
    const level = await deps.catalog.get(sku);
    if (!level) throw notFound(`SKU ${sku}`);
    res.json(level);
  });

  return router;
}
