/**
 * The saga as its clients see it (the API, scripts, tests): the messages it answers, the search
 * attributes it is found by, and its input and status types. Clients import this, never the
 * workflow's implementation.
 */
export { approveSignal, cancelUpdate, rejectSignal, statusQuery, updateShippingAddressUpdate } from './definitions';
export { CustomerIdKey, OrderIdKey, OrderStatusKey } from './search-attributes';
export { orderWorkflowId, type OrderSagaInput, type SagaStatus } from './types';
