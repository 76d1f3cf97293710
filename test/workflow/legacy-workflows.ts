// The saga as it was before the point of no return, registered under its usual name, so the fault
// matrix can run against it and show the holes the current saga closed.
export { orderSagaV1 as orderSaga } from '../../workflows/legacy/order-saga-v1';
export { redriveCompensation } from '../../workflows/redrive-compensation';
