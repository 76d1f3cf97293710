import { accountsProjection } from './accounts';
import { inventoryProjection } from './inventory';
import { ordersProjection } from './orders';
import { salesProjection } from './sales';
import type { Projection } from './types';

/** Every read model. Adding one: write a Projection and list it here. */
export const projections: Projection[] = [ordersProjection, inventoryProjection, accountsProjection, salesProjection];

export function projectionNamed(name: string): Projection | undefined {
  return projections.find((p) => p.name === name);
}

export { ordersProjection, inventoryProjection, accountsProjection, salesProjection };
