import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERASED, SEALED_IN_TEXT, unsealedPersonalFields } from '../../../domain/personal-data';
import { keyIdOf } from '../../../infra/personal-data/sealed';
import { projectionState } from '../../../readside/projections/generations';
import { approveSignal } from '../../../workflows/client';
import { fastSaga, useSagaStack } from '../../helpers/saga';
import { dataOf, idempotencyKey, type ApiClient } from '../../../api/client';
import { apiOf } from '../../helpers/stack';
import { waitFor } from '../../helpers/wait-for';

const EventType = proto.api.enums.v1.EventType;

/**
 * Text to search for personal data: every string as it is, plus what it decodes to when it looks
 * like base64 (payloads and binary fields are carried that way, so a plain search would pass even
 * with nothing encrypted), plus the bytes of binary values.
 */
function searchable(value: unknown): string {
  const out: string[] = [];
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      out.push(v);
      if (v.length >= 8 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(v)) out.push(Buffer.from(v, 'base64').toString('utf8'));
    } else if (v instanceof Uint8Array) out.push(Buffer.from(v).toString('utf8'));
    else if (v && typeof v === 'object' && (v as { _bsontype?: string })._bsontype === 'Binary')
      out.push(Buffer.from((v as { buffer: Uint8Array }).buffer).toString('utf8'));
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        out.push(k);
        visit(x);
      }
  };
  visit(value);
  return out.join('\n');
}

/**
 * Base64 and base64url renderings of `text` wherever it sits in longer encoded data: the encoding
 * of each of the three alignments, without the characters its neighbours would change.
 */
function encodingsOf(text: string): string[] {
  const out: string[] = [];
  for (let pad = 0; pad < 3; pad++) {
    const encoded = Buffer.concat([Buffer.alloc(pad), Buffer.from(text)]).toString('base64');
    const core = encoded.slice(pad === 0 ? 0 : Math.ceil((pad * 4) / 3), encoded.length - 4);
    out.push(core, core.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return out.filter((c) => c.length >= 6);
}

/** Whether `text` names `id`: in the clear, decoded from a whole base64 value (searchable), or base64-encoded inside longer data. */
const names = (text: string, id: string) => text.includes(id) || encodingsOf(id).some((e) => text.includes(e));

const logLines: string[] = [];

/** Every payload anywhere in a history's events (inputs, results, search attributes, failures). */
function payloadsOf(events: proto.api.history.v1.IHistoryEvent[]): Payload[] {
  const payloads: Payload[] = [];
  const visit = (value: unknown): void => {
    if (!value || typeof value !== 'object') return;
    if (Array.isArray(value)) return value.forEach(visit);
    const record = value as Record<string, unknown>;
    if (record.metadata && typeof record.metadata === 'object' && 'data' in record) payloads.push(record);
    else Object.values(record).forEach(visit);
  };
  visit(events);
  return payloads;
}

/** Every payload in a saga's history, as the codec endpoint decodes them (whole-payload decryption, then sealed fields opened). */
async function decodedHistory(api: ApiClient, events: proto.api.history.v1.IHistoryEvent[]): Promise<string> {
  const payloads = payloadsOf(events);
  const body = {
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(
        Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      ),
      data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
    })),
  };
  const res = await api.POST('/codec/decode', { body });
  expect(res.response.status, JSON.stringify(res.error)).toBe(200);
  // The contract leaves the codec's answer undescribed (Temporal's remote codec format).
  return (res.data as unknown as { payloads: Array<{ data: string }> }).payloads
    .map((p) => Buffer.from(p.data, 'base64').toString('utf8'))
    .join('\n');
}

/**
 * Crypto-shredding end to end: personal data (an account holder's name, a shipping address) is
 * sealed with the customer's key where it enters, so the database and Temporal hold only
 * ciphertext of it; operators and the customer see it while the key exists; erasing the customer
 * turns every copy into the marker, leaves everyone else's data as it was, and a saga that is
 * still running goes on to the end.
 */
describe('erasing a customer', () => {
  // Every log line, at debug level, is kept for the search.
  const t = useSagaStack(
    { ...fastSaga, APPROVAL_THRESHOLD: 5_000, PAYLOAD_KEYS: new Map([['k1', randomBytes(32)]]), LOG_LEVEL: 'debug' },
    { destination: { write: (line: string) => void logLines.push(line) } },
  );
  const api = () => apiOf(t.stack);
  const orderOf = (orderId: string, minPosition?: number) =>
    dataOf(api().GET('/orders/{orderId}', { params: { path: { orderId }, query: { minPosition } } }));
  const sagaOf = (orderId: string) => dataOf(api().GET('/orders/{orderId}/saga', { params: { path: { orderId } } }));
  const accountOf = (id: string) => dataOf(api().GET('/accounts/{id}', { params: { path: { id } } }));
  const sagasOf = (customerId: string) =>
    dataOf(api().GET('/customers/{customerId}/sagas', { params: { path: { customerId } } }));
  const ordersOf = (customerId: string) =>
    dataOf(api().GET('/customers/{customerId}/orders', { params: { path: { customerId } } }));
  const erase = (customerId: string) =>
    api().DELETE('/customers/{customerId}/personal-data', { params: { path: { customerId } } });

  it('keeps personal data sealed everywhere, opens it for the API and the codec while the key exists, and makes every copy [erased] after, without disturbing a running saga or other customers', async () => {
    // Generated people: a name and an address with a marker no other text contains.
    const people = fc
      .sample(
        fc.record({
          name: fc.stringMatching(/^[A-Z][a-z]{2,10} [A-Z][a-z]{2,12}$/),
          street: fc.stringMatching(/^[1-9][0-9]{0,3} [A-Z][a-z]{3,10} (St|Ave|Road)$/),
          city: fc.stringMatching(/^[A-Z][a-z]{3,12}$/),
        }),
        3,
      )
      .map((p, i) => {
        const marker = `pii${randomBytes(4).toString('hex')}`;
        // The customer's id is personal data too, with a marker of its own.
        const idMarker = `cid${randomBytes(4).toString('hex')}`;
        return {
          customerId: `c_${idMarker}`,
          idMarker,
          owner: `${p.name} ${marker}`,
          address: {
            line1: `${p.street} ${marker}`,
            city: `${p.city} ${marker}`,
            postalCode: `9${i}${marker.slice(3, 6)}`,
            country: 'US',
          },
          marker,
        };
      });
    const sku = t.h.unique('ERASE');
    await t.h.stock(sku, 50, 2_000);

    /** Sagas beyond the first order of each customer, whose histories are searched too. */
    const extraOrders: string[] = [];
    const placed: Array<(typeof people)[number] & { accountId: string; orderId: string }> = [];
    for (const [i, p] of people.entries()) {
      // With an Idempotency-Key, so its stored answer is searched too.
      const opened = await api().POST('/accounts', {
        body: { customerId: p.customerId, owner: p.owner, initialDeposit: 100_000 },
        params: { header: idempotencyKey(`erasure-open-${p.idMarker}`) },
      });
      expect(opened.response.status, JSON.stringify(opened.error)).toBe(201);
      expect(opened.data!.owner).toBe(p.owner);
      // The first customer's order waits for approval (above the threshold) while it is erased.
      const order = await api().POST('/orders', {
        body: {
          customerId: p.customerId,
          accountId: opened.data!.accountId,
          items: [{ sku, quantity: i === 0 ? 3 : 1 }],
          shippingAddress: p.address,
        },
      });
      expect(order.response.status, JSON.stringify(order.error)).toBe(202);
      placed.push({ ...p, accountId: opened.data!.accountId, orderId: order.data!.orderId });
    }
    const [erased, ...kept] = placed as [(typeof placed)[number], ...typeof placed];
    await t.h.waitForSaga(erased.orderId, (s) => s.awaitingApproval, 'the first saga to wait for approval');
    for (const p of kept) expect(await t.h.result(p.orderId)).toMatchObject({ status: 'COMPLETED' });
    await t.h.orderView(kept[0]!.orderId, 'COMPLETED');

    // A second order of the first customer is rejected with a reason that names them: a reason is
    // free text, sealed where it enters, quoted by the saga, opened for the API's answers.
    const second = await api().POST('/orders', {
      body: {
        customerId: erased.customerId,
        accountId: erased.accountId,
        items: [{ sku, quantity: 3 }],
        shippingAddress: erased.address,
      },
    });
    expect(second.response.status, JSON.stringify(second.error)).toBe(202);
    const rejectedId = second.data!.orderId;
    extraOrders.push(rejectedId);
    await t.h.waitForSaga(rejectedId, (s) => s.awaitingApproval, 'the second saga to wait for approval');
    const reason = `${erased.owner} phoned to say no`;
    expect(
      (await api().POST('/orders/{orderId}/reject', { params: { path: { orderId: rejectedId } }, body: { reason } }))
        .response.status,
    ).toBe(202);
    expect(await t.h.result(rejectedId)).toMatchObject({ status: 'CANCELLED' });
    expect((await t.h.orderView(rejectedId, 'CANCELLED')).failureReason).toBe(`rejected: ${reason}`);

    // No plaintext anywhere in the database: events, read models, services' state, dead letters,
    // emails, idempotency answers; and not in the oplog, which keeps what was written.
    // Every collection, the key store and the audit log included: the key is found by a keyed hash
    // of the id, and the audit record names neither the customer nor the key.
    const database = async () => {
      const dump: string[] = [];
      for (const { name } of await t.stack.mongo.db.listCollections().toArray())
        dump.push(name, searchable(await t.stack.mongo.db.collection(name).find({}).toArray()));
      return dump.join('\n');
    };
    const oplog = async () => {
      const entries = await t.stack.mongo.client
        .db('local')
        .collection('oplog.rs')
        .find({ ns: { $regex: `^${t.stack.config.MONGODB_DB}\\.` } })
        .toArray();
      return { count: entries.length, text: searchable(entries) };
    };
    /** Every saga's whole history, payloads decrypted by the platform codec but personal fields left as stored. */
    const histories = async () => {
      const codec = t.stack.client.options.loadedDataConverter.payloadCodecs[0]!;
      const texts: string[] = [];
      for (const orderId of [...placed.map((p) => p.orderId), ...extraOrders]) {
        const events = (await t.stack.client.workflow.getHandle(`order-${orderId}`).fetchHistory()).events ?? [];
        texts.push(
          searchable(events),
          searchable(
            (await codec.decode(payloadsOf(events))).map((x) =>
              Buffer.from(x.data ?? new Uint8Array()).toString('utf8'),
            ),
          ),
        );
      }
      return texts.join('\n');
    };
    const everything = await database();
    const written = await oplog();
    expect(written.count, "the oplog holds this test database's writes").toBeGreaterThan(0);
    const exported = await histories();
    const logged = searchable(logLines);
    expect(logLines.length, 'log lines were captured').toBeGreaterThan(0);
    for (const p of placed) {
      // The marker is in the name, the street and the city: none of them is stored in the clear.
      for (const [where, text] of Object.entries({
        database: everything,
        oplog: written.text,
        histories: exported,
        logs: logged,
      })) {
        expect(text, `${where} holds ${p.owner} or their address`).not.toContain(p.marker);
        expect(names(text, p.idMarker), `${where} holds customer id ${p.customerId}`).toBe(false);
      }
    }
    expect(everything).toContain('pd1.');
    expect(exported).toContain('pd1.');
    // Every event of these customers' orders and accounts has each field its type declares personal sealed.
    const streams = placed
      .flatMap((p) => [`account-${p.accountId}`, `order-${p.orderId}`, `shipment-${p.orderId}`])
      .concat(extraOrders.map((id) => `order-${id}`));
    const recorded = await t.stack.mongo.db
      .collection('events')
      .find({ streamId: { $in: streams } })
      .toArray();
    for (const type of ['AccountOpened', 'OrderCreated', 'ShipmentScheduled', 'OrderCompleted', 'OrderCancelled'])
      expect(
        recorded.some((e) => e.type === type),
        `a ${type} event to check`,
      ).toBe(true);
    for (const e of recorded) expect(unsealedPersonalFields(e.type, e.data), `${e.type} at ${e.position}`).toEqual([]);
    // The customer's own views find its orders by pseudonym and show its id opened.
    const listed = await ordersOf(kept[0]!.customerId);
    expect(listed.orders.map((o) => [o.orderId, o.customerId])).toEqual([[kept[0]!.orderId, kept[0]!.customerId]]);
    expect(
      (await dataOf(api().GET('/orders', { params: { query: { customerId: kept[1]!.customerId } } }))).orders.map(
        (o) => o.orderId,
      ),
    ).toEqual([kept[1]!.orderId]);
    expect((await accountOf(kept[0]!.accountId)).customerId).toBe(kept[0]!.customerId);

    // Temporal: the history (codec-decrypted) holds the address sealed; the codec endpoint opens it for operators.
    const handle = t.stack.client.workflow.getHandle(`order-${erased.orderId}`);
    const history = (await handle.fetchHistory()).events ?? [];
    const raw = await Promise.all(
      history
        .flatMap((e) => e.workflowExecutionStartedEventAttributes?.input?.payloads ?? [])
        .map((p) => t.stack.client.options.loadedDataConverter.payloadCodecs[0]!.decode([p])),
    );
    const rawText = raw
      .flat()
      .map((p) => Buffer.from(p.data!).toString())
      .join('\n');
    expect(rawText).toContain('pd1.');
    expect(rawText).not.toContain(erased.marker);
    expect(await decodedHistory(api(), history)).toContain(erased.address.line1);

    // Search attributes carry a pseudonym; the API finds the customer's sagas by it.
    const described = await handle.describe();
    const pseudonym = described.searchAttributes.CustomerId?.[0];
    expect(pseudonym).toMatch(/^bi1\./);
    expect(pseudonym).not.toContain(erased.customerId);
    const found = await waitFor("the customer's two sagas by pseudonym", async () => {
      const res = await sagasOf(erased.customerId);
      return res.sagas.length === 2 ? res : undefined;
    });
    expect(found.pseudonym).toBe(pseudonym);
    expect(JSON.stringify(found.sagas)).toContain(erased.orderId);
    expect(JSON.stringify(found.sagas)).toContain(rejectedId);

    // The API opens personal data for its answers.
    expect((await orderOf(kept[0]!.orderId)).shippingAddress).toEqual(kept[0]!.address);
    expect((await t.h.sagaStatus(erased.orderId)).shippingAddress.line1).toMatch(/^pd1\./);
    expect((await sagaOf(erased.orderId)).shippingAddress).toEqual(erased.address);

    // Erase the first customer. Its key id is the one its account holder's name was sealed with.
    const opening = recorded.find((e) => e.type === 'AccountOpened' && e.streamId === `account-${erased.accountId}`)!;
    const erasedKeyId = keyIdOf(opening.data.owner as string)!;
    expect(erasedKeyId).toBeTruthy();
    const erasure = await erase(erased.customerId);
    expect(erasure.response.status, JSON.stringify(erasure.error)).toBe(200);
    expect(erasure.data).toMatchObject({ customerId: erased.customerId, erased: true });
    expect((await erase(erased.customerId)).data?.erased, 'erasing twice is a no-op').toBe(false);

    const gone = { line1: ERASED, city: ERASED, postalCode: ERASED, country: 'US' };
    expect((await sagaOf(erased.orderId)).shippingAddress).toEqual(gone);
    expect((await accountOf(erased.accountId)).owner).toBe(ERASED);
    const audit = (await dataOf(api().GET('/accounts/{id}/events', { params: { path: { id: erased.accountId } } })))
      .events;
    expect(audit[0]).toMatchObject({ type: 'AccountOpened', data: { owner: ERASED } });
    expect(await decodedHistory(api(), history)).not.toContain(erased.address.line1);
    // Other customers read as before.
    for (const p of kept) {
      expect((await accountOf(p.accountId)).owner).toBe(p.owner);
      expect((await orderOf(p.orderId)).shippingAddress).toEqual(p.address);
    }
    // Nothing finds the erased customer's sagas or orders any more, and the order no longer names them.
    expect((await sagasOf(erased.customerId)).sagas).toEqual([]);
    expect((await ordersOf(erased.customerId)).orders).toEqual([]);
    expect((await orderOf(erased.orderId)).customerId).toBe(ERASED);
    expect((await accountOf(erased.accountId)).customerId).toBe(ERASED);
    expect((await orderOf(rejectedId)).failureReason).toBe(`rejected: ${ERASED}`);

    // The saga that was waiting goes on: approved, it ships (to the erased address) and completes,
    // with no workflow task failing on data it can no longer read.
    await handle.signal(approveSignal, { by: 'test' });
    expect(await t.h.result(erased.orderId)).toMatchObject({ status: 'COMPLETED' });
    const after = (await handle.fetchHistory()).events ?? [];
    expect(after.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)).toBe(false);
    expect((await t.h.orderView(erased.orderId, 'COMPLETED')).shippingAddress).toEqual(gone);
    // Money and stock moved once, as for anyone: amounts are not personal data.
    expect((await accountOf(erased.accountId)).balance).toBe(100_000 - 3 * 2_000);
    expect(await database()).not.toContain(erased.marker);
    // Stock and sales count every completed order, the erased customer's included: amounts are not personal.
    const head = (await dataOf(api().GET('/projections'))).headPosition;
    const sales = (
      await dataOf(api().GET('/analytics/sales', { params: { query: { groupBy: 'sku', minPosition: head } } }))
    ).rows.find((r) => r.sku === sku);
    expect(sales).toEqual({ sku, orders: 3, units: 5, revenue: 5 * 2_000 });
    const level = (await dataOf(api().GET('/inventory', { params: { query: { minPosition: head } } }))).levels.find(
      (l) => l.sku === sku,
    );
    expect(level).toMatchObject({ available: 45, reserved: 5 });

    // A rebuild after the erasure replays the sealed events into the same marked read model.
    const before = await projectionState(t.stack.mongo.db, 'orders');
    expect(
      (await api().POST('/projections/{name}/rebuild', { params: { path: { name: 'orders' } } })).response.status,
    ).toBe(202);
    await waitFor(
      'the orders rebuild to swap in',
      async () => (await projectionState(t.stack.mongo.db, 'orders')).active === before.active + 1,
      60_000,
    );
    const rebuilt = await orderOf(erased.orderId, head);
    expect(rebuilt).toMatchObject({ status: 'COMPLETED', customerId: ERASED, shippingAddress: gone, total: 3 * 2_000 });
    expect((await orderOf(rejectedId)).failureReason).toBe(`rejected: ${ERASED}`);
    expect(await orderOf(kept[0]!.orderId)).toMatchObject({
      customerId: kept[0]!.customerId,
      shippingAddress: kept[0]!.address,
    });

    // And after all of the above (lookups by customer id included), nothing stored names any of
    // these people, and nothing but the erased customer's own sealed values names their key.
    const nothingNamesThem = async (when: string) => {
      const [finalLogs, finalOplog, finalDatabase] = [searchable(logLines), (await oplog()).text, await database()];
      for (const p of placed) {
        for (const [where, text] of Object.entries({ logs: finalLogs, oplog: finalOplog, database: finalDatabase })) {
          expect(text, `${where} holds ${p.owner} or their address ${when}`).not.toContain(p.marker);
          expect(names(text, p.idMarker), `${where} holds customer id ${p.customerId} ${when}`).toBe(false);
        }
      }
      expect(
        finalDatabase.replace(SEALED_IN_TEXT, ''),
        `the database names the erased key outside the values sealed with it ${when}`,
      ).not.toContain(erasedKeyId);
    };
    await nothingNamesThem('after the erasure');
    const erasures = await t.stack.mongo.db.collection('audit_log').find({ action: 'erase-personal-data' }).toArray();
    expect(erasures, 'one audit record of the erasure').toHaveLength(1);
    expect(erasures[0]).toMatchObject({ by: expect.any(String), requestedAt: expect.any(Date), at: expect.any(Date) });

    // The same customer id orders again: a new key and a new pseudonym, linked to nothing erased.
    const again = await api().POST('/orders', {
      body: {
        customerId: erased.customerId,
        accountId: erased.accountId,
        items: [{ sku, quantity: 1 }],
        shippingAddress: erased.address,
      },
    });
    expect(again.response.status, JSON.stringify(again.error)).toBe(202);
    const againId = again.data!.orderId;
    expect(await t.h.result(againId)).toMatchObject({ status: 'COMPLETED' });
    const newKeyId = keyIdOf((await t.h.sagaStatus(againId)).shippingAddress.line1);
    expect(newKeyId).not.toBeNull();
    expect(newKeyId).not.toBe(erasedKeyId);
    const refound = await waitFor("the customer's new saga by its new pseudonym", async () => {
      const res = await sagasOf(erased.customerId);
      return res.sagas.length === 1 ? res : undefined;
    });
    expect(refound.pseudonym).not.toBe(pseudonym);
    expect(refound.sagas.map((s) => s.workflowId)).toEqual([`order-${againId}`]);
    expect(await orderOf(againId)).toMatchObject({ customerId: erased.customerId, shippingAddress: erased.address });
    expect((await orderOf(erased.orderId)).customerId, 'the erased order stays erased').toBe(ERASED);
    await nothingNamesThem('after the customer came back');
  }, 240_000);
});
