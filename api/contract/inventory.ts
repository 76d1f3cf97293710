import { z } from 'zod';
import { emptyQuery, idempotencyHeader, skuSchema } from './schemas';
import { EMPTY_RANGE, EVENTUAL, operations, operators } from './define';
import { levelsBody, salesBody, stockLevelBody } from './responses';

export const restockSchema = z.strictObject({
  sku: skuSchema,
  /** Units added to the available stock (0 only changes the price). */
  quantity: z.number().int().min(0).max(1_000_000),
  /** Catalog unit price in cents. */
  price: z.number().int().positive().max(100_000_000),
});

export const skuParams = z.object({ sku: skuSchema });

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine((d) => {
    // Date.parse rolls 2030-02-31 over into March; a real date survives the round trip.
    const parsed = new Date(`${d}T00:00:00Z`);
    return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === d;
  }, 'not a real date')
  .meta({ format: 'date' });

export const salesQuery = z.strictObject({
  from: day.optional(),
  to: day.optional(),
  groupBy: z.enum(['day', 'sku']).default('day'),
});

export const inventoryOperations = operations({
  'POST /inventory': {
    summary: 'Restock a SKU and set its catalog price',
    access: operators,
    headers: idempotencyHeader,
    body: restockSchema,
    responses: {
      '200': { description: 'Stock level and position', body: stockLevelBody },
      '409': 'Idempotency-Key in use',
      '422': 'Idempotency-Key reused with another body',
    },
  },
  'GET /inventory': {
    summary: `Inventory levels. ${EVENTUAL}`,
    access: operators,
    query: emptyQuery,
    readModel: true,
    responses: { '200': { description: 'Levels', body: levelsBody } },
  },
  'GET /inventory/:sku': {
    summary: 'Stock of one SKU (the Inventory service; strongly consistent)',
    access: operators,
    params: skuParams,
    responses: { '200': { description: 'Level', body: stockLevelBody }, '404': 'Unknown SKU' },
  },
  'GET /analytics/sales': {
    summary: `Sales per day or per SKU. ${EVENTUAL}`,
    access: operators,
    query: salesQuery,
    readModel: true,
    responses: { '200': { description: 'Rows', body: salesBody }, '422': EMPTY_RANGE },
  },
});
