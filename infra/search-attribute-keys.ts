import { defineSearchAttributeKey } from '@temporalio/common';

/**
 * Search attributes the sagas carry, registered when the embedded dev server starts so an operator
 * can filter in the Web UI and with `temporal workflow list --query`. The workflow sandbox imports
 * this module (the saga upserts OrderStatus), so it holds the keys alone: no I/O, nothing but
 * @temporalio/common. Infra rather than domain: the domain stays free of Temporal.
 */
export const OrderIdKey = defineSearchAttributeKey('OrderId', 'KEYWORD');
/**
 * The customer's pseudonym, never the id: a keyed hash under the customer's own data key
 * (infra/personal-data). GET /customers/:customerId/sagas computes it; after an erasure nothing can.
 */
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', 'KEYWORD');
export const OrderStatusKey = defineSearchAttributeKey('OrderStatus', 'KEYWORD');

export const searchAttributes = [OrderIdKey, CustomerIdKey, OrderStatusKey];
