import { describe, expect, it } from 'vitest';
import { idempotencyKey } from '../../../api/client';
import { address, fastSaga, useSagaStack } from '../../helpers/saga';
import { apiOf } from '../../helpers/stack';

const BALANCE = 10_000;
const PRICE = 700;
/** A postal code the carrier does not know: scheduleShipment refuses it, and refuses it again on a retry. */
const REFUSED = { ...address, postalCode: '00000' };
/** Long enough that no saga here gives up waiting by itself while a test looks at it. */
const REPAIR_WAIT_MS = 300_000;

/**
 * POST /orders/:orderId/repair with an Idempotency-Key, on the real stack (the Temporal dev server,
 * MongoDB, the worker, the read side and the HTTP API). The case it exists for: a `retry` whose
 * answer the client did not get (a timeout) is resent after the saga has run its step again and
 * waits anew. Without the key the saga would take the resend as a second retry.
 */
describe('a repair sent again with its Idempotency-Key', { timeout: 180_000 }, () => {
  const t = useSagaStack({ ...fastSaga, REPAIR_WAIT_TIMEOUT: REPAIR_WAIT_MS });
  const api = () => apiOf(t.stack);
  type RepairBody = { action: 'retry' } | { action: 'compensate'; reason: string };
  const repair = (orderId: string, body: RepairBody, key: string) =>
    api().POST('/orders/{orderId}/repair', { params: { path: { orderId }, header: idempotencyKey(key) }, body });

  /** An order whose address the carrier refuses, retried once with `key`, and waiting again. */
  async function retriedOnce(key: string) {
    const accountId = await t.h.openAccount(BALANCE);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 5, PRICE);
    const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 1 }], shippingAddress: REFUSED });
    const first = await t.h.waitForSaga(orderId, (s) => s.status === 'NEEDS_ATTENTION', 'the saga to need attention');
    const retried = await repair(orderId, { action: 'retry' }, key);
    expect(retried.response.status, JSON.stringify(retried.error)).toBe(202);
    expect(retried.response.headers.get('idempotent-replayed')).toBeNull();
    const again = await t.h.waitForSaga(
      orderId,
      (s) => s.status === 'NEEDS_ATTENTION' && s.needsAttention?.since !== first.needsAttention!.since,
      'the saga to wait again after the retry',
    );
    return { orderId, accountId, retried, since: again.needsAttention!.since };
  }

  /** How many repairs the saga accepted (its history's accepted Updates other than `placed`). */
  async function repairsAccepted(orderId: string): Promise<number> {
    const history = await t.stack.client.workflow.getHandle(`order-${orderId}`).fetchHistory();
    return (history.events ?? []).filter(
      (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'repair',
    ).length;
  }

  const count = async (orderId: string, type: string) =>
    (await t.h.orderEvents(orderId)).filter((e) => e.type === type).length;

  it('replays the first answer and runs the step once more, not twice', async () => {
    const key = t.h.unique('repair-retry');
    const { orderId, accountId, retried, since } = await retriedOnce(key);

    const resent = await repair(orderId, { action: 'retry' }, key);
    expect(resent.response.status, JSON.stringify(resent.error)).toBe(202);
    expect(resent.response.headers.get('idempotent-replayed')).toBe('true');
    expect(resent.data).toEqual(retried.data);
    // Still the same wait: the saga was not asked again.
    expect((await t.h.sagaStatus(orderId)).needsAttention?.since).toBe(since);

    const gaveUp = await repair(orderId, { action: 'compensate', reason: 'carrier will not deliver' }, `${key}-2`);
    expect(gaveUp.response.status, JSON.stringify(gaveUp.error)).toBe(202);
    expect((await t.h.result(orderId)).status).toBe('CANCELLED');
    // The first wait and the one after the single retry; a second retry would have made a third.
    expect(await count(orderId, 'OrderNeedsAttention')).toBe(2);
    expect(await repairsAccepted(orderId)).toBe(2);
    expect(await count(orderId, 'PaymentRefunded')).toBe(1);
    expect(await t.h.balance(accountId)).toBe(BALANCE);
    const audited = await t.stack.mongo.db.collection('audit_log').find({ action: 'repair-order', orderId }).toArray();
    expect(audited.map((a) => a.repair as string).sort()).toEqual(['compensate', 'retry']);
  });

  it('refuses the key with another body (422 idempotency_key_reused) and leaves the saga waiting', async () => {
    const key = t.h.unique('repair-other');
    const { orderId, since } = await retriedOnce(key);

    const other = await repair(orderId, { action: 'compensate', reason: 'changed my mind' }, key);
    expect(other.response.status).toBe(422);
    expect(other.error).toMatchObject({
      error: { code: 'idempotency_key_reused', message: expect.stringMatching(/Idempotency-Key/) },
    });
    const status = await t.h.sagaStatus(orderId);
    expect(status.status).toBe('NEEDS_ATTENTION');
    expect(status.needsAttention?.since).toBe(since);
    expect(await repairsAccepted(orderId)).toBe(1);

    // A key of its own is a new repair.
    const gaveUp = await repair(orderId, { action: 'compensate', reason: 'changed my mind' }, `${key}-2`);
    expect(gaveUp.response.status, JSON.stringify(gaveUp.error)).toBe(202);
    expect((await t.h.result(orderId)).status).toBe('CANCELLED');
    expect(await count(orderId, 'OrderNeedsAttention')).toBe(2);
  });

  it('keeps no key for a refused repair: sent again, it is refused again, not replayed', async () => {
    const accountId = await t.h.openAccount(BALANCE);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 5, PRICE);
    const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 1 }] });
    await t.h.result(orderId);
    const key = t.h.unique('repair-refused');
    const keys = () => t.stack.mongo.db.collection('idempotency_keys').countDocuments({ scope: 'orders.repair' });
    const before = await keys();
    const refused = await repair(orderId, { action: 'retry' }, key);
    expect(refused.response.status).toBe(409);
    expect(await keys()).toBe(before);
    const again = await repair(orderId, { action: 'retry' }, key);
    expect(again.response.status).toBe(409);
    expect(again.response.headers.get('idempotent-replayed')).toBeNull();
  });
});
