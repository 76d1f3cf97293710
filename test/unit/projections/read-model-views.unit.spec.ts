import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { answerOf } from '../../../api/contract/read-model-answer';
import { ACCOUNT_VIEW_UNPUBLISHED, accountListedBody, inventoryLevelBody } from '../../../api/contract/responses';
import { accountView, accountViewDocument } from '../../../readside/projections/accounts';
import { inventoryLevelView, inventoryLevelDocument } from '../../../readside/projections/inventory';
import type { ReadModelView } from '../../../readside/projections/view';

const at = new Date('2026-03-01T10:00:00.000Z');
const open = async (value: unknown) => (typeof value === 'string' ? value.replace(/^sealed:/, 'opened:') : value);

/** The fields an answer carries: the document's, `_id` renamed, internal ones left out. */
const answered = (view: ReadModelView) =>
  Object.keys(view.document.shape)
    .filter((key) => !view.internal.includes(key))
    .map((key) => (key === '_id' ? view.id : key));

const CASES = [
  {
    name: 'accounts list',
    view: accountView as unknown as ReadModelView,
    body: accountListedBody,
    unpublished: ACCOUNT_VIEW_UNPUBLISHED as readonly string[],
    contract: ['accountId', 'customerId', 'owner', 'balance', 'version'],
    stored: accountViewDocument.parse({
      _id: 'acc-1',
      customerId: 'sealed:ada',
      owner: 'sealed:Ada',
      balance: 700,
      version: 3,
      openedAt: at,
      updatedAt: at,
      customer: 'p',
      lastPosition: 9,
      applied: [7, 9],
      epoch: 1,
    }),
    answer: {
      accountId: 'acc-1',
      customerId: 'opened:ada',
      owner: 'opened:Ada',
      balance: 700,
      version: 3,
      openedAt: at.toISOString(),
      updatedAt: at.toISOString(),
    },
  },
  {
    name: 'inventory levels',
    view: inventoryLevelView as unknown as ReadModelView,
    body: inventoryLevelBody,
    unpublished: [] as readonly string[],
    contract: ['sku', 'available', 'reserved', 'price'],
    // Reserved before any restock: no price yet.
    stored: inventoryLevelDocument.parse({ _id: 'BOOK-1', available: -2, reserved: 2, updatedAt: at, applied: [4] }),
    answer: { sku: 'BOOK-1', available: -2, reserved: 2, price: null },
  },
];

describe.each(CASES)('the $name view, declared once', ({ view, body, unpublished, contract, stored, answer }) => {
  it('publishes every field of the stored document that is not internal or listed as unpublished, and nothing else', () => {
    expect(Object.keys(body.shape)).toEqual(answered(view).filter((key) => !unpublished.includes(key)));
    expect(unpublished.every((key) => answered(view).includes(key))).toBe(true);
  });

  it('publishes the fields the contract names, in its order', () => {
    const schema = z.toJSONSchema(body) as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(contract);
    expect(schema.required).toEqual(contract);
  });

  it('answers a stored document in the published schema, personal fields opened', async () => {
    const answer_ = await answerOf(view, stored, open);
    expect(answer_).toEqual(answer);
    expect(Object.keys(answer_)).toEqual(answered(view));
    expect(() => body.parse(answer_)).not.toThrow();
  });
});
