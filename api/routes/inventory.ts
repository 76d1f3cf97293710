import { Router } from 'express';
import type { InventoryCatalog } from '../../activities/services';
import { notFound } from '../errors';
import { correlationIdOf } from '../correlation';
import { parse } from '../validate';
import { restockSchema, skuParams } from '../contract';
import type { Idempotency } from '../idempotency';
import { policedRouter, type PoliceDeps } from '../policed-router';

export function inventoryRoutes(deps: {
  police: PoliceDeps;
  idempotency: Idempotency;
  catalog: InventoryCatalog;
}): Router {
  const router = policedRouter(deps.police);

  router.post('/inventory', async (req, res) => {
    const body = parse(restockSchema, req.body, 'body');
    await deps.idempotency.run(req, res, 'inventory.restock', body, async (seed) => {
      const { level, position } = await deps.catalog.restock({
        ...body,
        correlationId: correlationIdOf(req),
        ...(seed && { restockId: seed }),
      });
      return { status: 200, body: { ...level, position } };
    });
  });

  router.get('/inventory/:sku', async (req, res) => {
    const { sku } = parse(skuParams, req.params, 'params');
    const level = await deps.catalog.get(sku);
    if (!level) throw notFound(`SKU ${sku}`);
    res.json(level);
  });

  return router;
}
