import { MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { duplicateKey } from '../../../eventstore/collections';
import { temporalMetadata } from '../../../activities/temporal-metadata';
import { deterministicEventId } from '../../../eventstore';

describe('deterministicEventId', () => {
  it('gives the same UUID-shaped id for the same parts', () => {
    const a = deterministicEventId('payment', 'order-1', 'debit');
    expect(a).toBe(deterministicEventId('payment', 'order-1', 'debit'));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('gives different ids for different parts, including ones that concatenate alike', () => {
    expect(deterministicEventId('payment', 'order-1', 'debit')).not.toBe(
      deterministicEventId('payment', 'order-1', 'refund'),
    );
    expect(deterministicEventId('ab', 'c')).not.toBe(deterministicEventId('a', 'bc'));
  });

  it('refuses to build an id from nothing', () => {
    expect(() => deterministicEventId()).toThrow(TypeError);
  });
});

describe('temporalMetadata', () => {
  it('is empty outside a Temporal activity', () => {
    expect(temporalMetadata()).toEqual({});
  });
});

describe('duplicateKey', () => {
  const message = (index: string) =>
    `E11000 duplicate key error collection: db.events index: ${index} dup key: { x: 1 }`;

  it('names the index that refused a single insert', () => {
    expect(
      duplicateKey(
        new MongoServerError({ message: message('stream_version'), errmsg: message('stream_version'), code: 11000 }),
      ),
    ).toEqual({ at: 0, on: 'stream_version' });
    expect(
      duplicateKey(
        new MongoServerError({ message: message('global_position'), errmsg: message('global_position'), code: 11000 }),
      ),
    ).toEqual({ at: 0, on: 'position' });
  });

  it('falls back to the key pattern when the message does not name the index', () => {
    const err = new MongoServerError({
      message: 'E11000 duplicate key error',
      code: 11000,
      keyPattern: { 'metadata.eventId': 1 },
    });
    expect(duplicateKey(err)).toEqual({ at: 0, on: 'event_id' });
  });

  it('ignores errors that are not duplicate keys', () => {
    expect(duplicateKey(new MongoServerError({ message: 'boom', code: 2 }))).toBeNull();
    expect(duplicateKey(new Error('E11000'))).toBeNull();
  });
});
