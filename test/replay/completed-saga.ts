import { expect } from 'vitest';
import { startSaga } from '../helpers/start-saga';
import type { TimeSkippingWorker } from '../helpers/time-skipping-worker';

/** A new saga run to completion on the happy path in the time-skipping environment, with its history. */
export async function completedSaga(t: TimeSkippingWorker, prefix: string) {
  const { orderId, handle } = await startSaga(t, prefix);
  expect(await handle.result()).toMatchObject({ status: 'COMPLETED' });
  return { orderId, history: await handle.fetchHistory() };
}
