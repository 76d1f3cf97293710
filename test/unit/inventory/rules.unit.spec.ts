import { describe, expect, it } from 'vitest';
import {
  mergeItems,
  OutOfStockError,
  refusedReservation,
  release,
  releasedItems,
  ReservationReleasedError,
  UnknownSkuError,
  type Release,
} from '../../../domain/inventory';

const orderId = 'o-1';
const line = { sku: 'A', quantity: 3 };

type RefusalCase = [
  name: string,
  sku: Parameters<typeof refusedReservation>[2],
  then: 'held' | (new (...args: never[]) => Error),
];

const refusals: RefusalCase[] = [
  ['goes on when an earlier attempt for the order holds the reservation', { available: 0, reserved: 3 }, 'held'],
  ['refuses a SKU the catalog does not know', null, UnknownSkuError],
  [
    'refuses a late reservation for an order whose release already ran',
    { available: 10, released: 0 },
    ReservationReleasedError,
  ],
  [
    'refuses a late reservation after the stock was given back',
    { available: 10, released: 3 },
    ReservationReleasedError,
  ],
  ['reports out of stock when too little is available', { available: 2 }, OutOfStockError],
];

type ReleaseCase = [name: string, sku: Parameters<typeof release>[0], then: Release];

const releases: ReleaseCase[] = [
  ['gives back exactly what the order holds', { reserved: 3 }, { type: 'GiveBack', quantity: 3 }],
  ['marks the order released where it holds nothing, so a late reservation is refused', {}, { type: 'MarkReleased' }],
  ['does nothing more where the order was released earlier', { released: 3 }, { type: 'Nothing' }],
  ['does nothing more where the order was marked released with nothing held', { released: 0 }, { type: 'Nothing' }],
  ['does nothing for a SKU the catalog does not know', null, { type: 'Nothing' }],
];

describe('inventory rules', () => {
  it.each(refusals)('reservation: %s', (_name, sku, then) => {
    const refused = refusedReservation(orderId, line, sku);
    if (then === 'held') expect(refused).toBe('held');
    else expect(refused).toBeInstanceOf(then);
  });

  it.each(releases)('release: %s', (_name, sku, then) => {
    expect(release(sku)).toEqual(then);
  });

  it('says how short the stock is, as the saga reports it', () => {
    const refused = refusedReservation(orderId, line, { available: 2 });
    expect(refused).toMatchObject({
      code: 'OutOfStock',
      message: 'out of stock: A has 2 available, 3 needed',
      details: { sku: 'A', available: 2, needed: 3 },
    });
    expect(refusedReservation(orderId, line, { available: 2, released: 0 })).toMatchObject({
      code: 'OutOfStock',
      message: 'reservation for order o-1 was already released',
    });
    expect(refusedReservation(orderId, line, null)).toMatchObject({ code: 'UnknownSku', message: 'unknown SKU A' });
  });

  it('merges lines per SKU in SKU order, so every order touches documents in the same order', () => {
    expect(
      mergeItems([
        { sku: 'B', quantity: 1 },
        { sku: 'A', quantity: 2 },
        { sku: 'B', quantity: 4 },
      ]),
    ).toEqual([
      { sku: 'A', quantity: 2 },
      { sku: 'B', quantity: 5 },
    ]);
  });

  it('lists what a release gave back by SKU, leaving out SKUs only marked released', () => {
    expect(
      releasedItems([
        { sku: 'C', released: 1 },
        { sku: 'A', released: 0 },
        { sku: 'B', released: 2 },
      ]),
    ).toEqual([
      { sku: 'B', quantity: 2 },
      { sku: 'C', quantity: 1 },
    ]);
  });
});
