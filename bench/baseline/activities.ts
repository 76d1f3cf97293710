/**
 * Five activities that do nothing: the baseline measures what Temporal itself costs for a
 * five-step workflow on this machine (scheduling, polling, history), with no I/O of ours.
 */
export function createNoopActivities() {
  const noop = async (input: { orderId: string }) => ({ orderId: input.orderId });
  return {
    noopCreateOrder: noop,
    noopProcessPayment: noop,
    noopReserveItems: noop,
    noopScheduleShipment: noop,
    noopCompleteOrder: noop,
  };
}

export type NoopActivities = ReturnType<typeof createNoopActivities>;
