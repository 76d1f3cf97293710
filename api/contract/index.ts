import { accountOperations } from './accounts';
import { customerOperations } from './customers';
import { inventoryOperations } from './inventory';
import { operationsOperations } from './operations';
import { orderOperations } from './orders';
import { settlementOperations } from './settlements';
import { liveOperations } from './live';
import { streamOperations } from './streams';
import type { Operation } from './define';

/**
 * The API's contract, one entry per operation, keyed `METHOD /express/path`. Routes validate
 * with its schemas, the policed router enforces its access rules, and the OpenAPI document is
 * generated from it (api/openapi.ts), so the three cannot drift apart.
 */
export const CONTRACT = {
  ...operationsOperations,
  ...orderOperations,
  ...settlementOperations,
  ...accountOperations,
  ...inventoryOperations,
  ...customerOperations,
  ...streamOperations,
  ...liveOperations,
} satisfies Record<string, Operation>;

export type RouteKey = keyof typeof CONTRACT;

export { openApiPath, operators, type Access, type ClientRule, type Operation, type ResponseSpec } from './define';
export * from './schemas';
export * from './orders';
export * from './settlements';
export * from './accounts';
export * from './inventory';
export * from './operations';
export * from './customers';
export * from './streams';
export * from './live';
