// Everything the worker bundles into the workflow sandbox. Only deterministic code lives here:
// no I/O, no clocks, no randomness except through @temporalio/workflow.
export * from './order-saga';
export * from './redrive-compensation';
export * from './settle-order';
