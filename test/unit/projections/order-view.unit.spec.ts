import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { answerOf } from '../../../api/contract/read-model-answer';
import { ORDER_VIEW_UNPUBLISHED, orderViewBody } from '../../../api/contract/responses';
import { orderView, orderViewDocument, type OrderViewDocument } from '../../../readside/projections/order-view';

const at = new Date('2026-03-01T10:00:00.000Z');
const stored: OrderViewDocument = orderViewDocument.parse({
  _id: 'o-1',
  customerId: 'sealed:customer',
  customer: 'pseudonym',
  accountId: 'acc-1',
  status: 'COMPENSATION_INCOMPLETE',
  items: [{ sku: 'BOOK-1', quantity: 2, unitPrice: 1500 }],
  total: 3000,
  shippingAddress: { line1: 'sealed:line1', city: 'sealed:city', postalCode: 'sealed:code', country: 'US' },
  failureReason: 'cannot ship',
  openCompensations: ['cancelShipment'],
  correlationId: 'corr-1',
  createdAt: at,
  updatedAt: at,
  facts: { created: true, cancelled: true, incomplete: true },
  factAt: { created: 1, cancelled: 41, incomplete: 41 },
  setAt: { shippingAddress: 1, failureReason: 41, openCompensations: 41 },
  lastPosition: 42,
  epoch: 3,
});
/** Stands in for opening sealed values: marks what was opened. */
const open = async (value: unknown) => JSON.parse(JSON.stringify(value).replace(/sealed:/g, 'opened:')) as unknown;

describe('the orders view, declared once', () => {
  it('publishes every field of the stored document that is not internal or listed as unpublished, and nothing else', () => {
    const answered = Object.keys(orderViewDocument.shape)
      .filter((key) => !(orderView.internal as readonly string[]).includes(key))
      .map((key) => (key === '_id' ? orderView.id : key));
    const published = Object.keys(orderViewBody.shape);
    expect(published).toEqual(answered.filter((key) => !(ORDER_VIEW_UNPUBLISHED as readonly string[]).includes(key)));
    expect(ORDER_VIEW_UNPUBLISHED.every((key) => answered.includes(key))).toBe(true);
  });

  it('publishes the fields the contract names, in its order', () => {
    const schema = z.toJSONSchema(orderViewBody) as { properties: Record<string, unknown>; required: string[] };
    const contract = [
      'orderId',
      'customerId',
      'accountId',
      'status',
      'items',
      'total',
      'shippingAddress',
      'failureReason',
      'openCompensations',
    ];
    expect(Object.keys(schema.properties)).toEqual(contract);
    expect(schema.required).toEqual(contract);
  });

  it('answers a stored order in the published schema: _id as orderId, instants as ISO strings, internal fields left out, personal fields opened', async () => {
    const answer = await answerOf(orderView, stored, open);
    expect(() => orderViewBody.parse(answer)).not.toThrow();
    expect(answer).toEqual({
      orderId: 'o-1',
      customerId: 'opened:customer',
      accountId: 'acc-1',
      status: 'COMPENSATION_INCOMPLETE',
      items: [{ sku: 'BOOK-1', quantity: 2, unitPrice: 1500 }],
      total: 3000,
      shippingAddress: { line1: 'opened:line1', city: 'opened:city', postalCode: 'opened:code', country: 'US' },
      failureReason: 'cannot ship',
      openCompensations: ['cancelShipment'],
      correlationId: 'corr-1',
      createdAt: '2026-03-01T10:00:00.000Z',
      updatedAt: '2026-03-01T10:00:00.000Z',
    });
    expect(Object.keys(answer)).toEqual(
      Object.keys(orderViewDocument.shape)
        .filter((k) => !['customer', 'facts', 'factAt', 'setAt', 'lastPosition', 'epoch'].includes(k))
        .map((k) => (k === '_id' ? 'orderId' : k)),
    );
  });

  it('opens only the personal fields: text a client chose stays as it is', async () => {
    const answer = await answerOf(orderView, { ...stored, correlationId: 'sealed:someone-else' }, open);
    expect(answer.correlationId).toBe('sealed:someone-else');
  });

  it('answers an absent list as empty and any other absent field as null, still in the published schema', async () => {
    const { openCompensations: _list, correlationId: _id, ...older } = stored;
    const answer = await answerOf(orderView, { ...older, failureReason: null }, open);
    expect(answer).toMatchObject({ openCompensations: [], correlationId: null, failureReason: null });
    expect(() => orderViewBody.parse(answer)).not.toThrow();
  });
});
