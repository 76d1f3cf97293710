/**
 * The steps that sagas recording SAGA_LOCAL_ORDER_STEPS ran as local activities, completeOrder
 * too. That change was superseded (see workflows/saga/local.ts); the sagas that recorded it replay
 * this way, so the list stays as it ran.
 */
export const LOCAL_STEPS_OF_ORDER_STEPS_PATCH = ['createOrder', 'completeOrder'] as const;
