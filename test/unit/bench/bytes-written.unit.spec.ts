import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { addBytes, bytesPerSaga, bytesSince, bytesWritten, createByteCounter } from '../../../bench/lib/bytes-written';

const size = (doc: object) => BSON.calculateObjectSize(doc);

describe('bytes written per command', () => {
  it('counts an insert at the BSON size of its documents', () => {
    const docs = [
      { _id: 'a', type: 'OrderCreated', data: { total: 3000 } },
      { _id: 'b', type: 'PaymentCompleted' },
    ];
    expect(bytesWritten({ commandName: 'insert', command: { insert: 'events', documents: docs } })).toEqual({
      collection: 'events',
      bytes: size(docs[0]!) + size(docs[1]!),
    });
  });

  it('counts an update at the size of its update specifications, pipelines stage by stage', () => {
    const u1 = { $set: { status: 'COMPLETED' } };
    const stage = { $set: { n: { $add: ['$n', 1] } } };
    const command = {
      update: 'rm_orders',
      updates: [
        { q: { _id: 'x' }, u: u1 },
        { q: { _id: 'y' }, u: [stage, stage] },
      ],
    };
    expect(bytesWritten({ commandName: 'update', command })).toEqual({
      collection: 'rm_orders',
      bytes: size(u1) + 2 * size(stage),
    });
  });

  it('counts a findAndModify at the size of its update, and a delete or a read as nothing written', () => {
    const update = { $inc: { next: 3 } };
    expect(
      bytesWritten({
        commandName: 'findAndModify',
        command: { findAndModify: 'counters', query: { _id: 'events' }, update },
      }),
    ).toEqual({ collection: 'counters', bytes: size(update) });
    expect(
      bytesWritten({ commandName: 'delete', command: { delete: 'leases', deletes: [{ q: {}, limit: 1 }] } }),
    ).toBeUndefined();
    expect(bytesWritten({ commandName: 'find', command: { find: 'events', filter: {} } })).toBeUndefined();
  });

  it('sums per process and collection, and takes differences between snapshots', () => {
    const counter = createByteCounter();
    counter.record('worker', { commandName: 'insert', command: { insert: 'events', documents: [{ a: 1 }] } });
    const before = counter.snapshot();
    counter.record('worker', { commandName: 'insert', command: { insert: 'events', documents: [{ a: 1 }] } });
    counter.record('read side', {
      commandName: 'update',
      command: { update: 'rm', updates: [{ q: {}, u: { $set: { b: 2 } } }] },
    });
    expect(bytesSince(counter.snapshot(), before)).toEqual({
      worker: { events: size({ a: 1 }) },
      'read side': { rm: size({ $set: { b: 2 } }) },
    });
    expect(addBytes({ worker: { events: 10 } }, { worker: { events: 5, state: 1 } })).toEqual({
      worker: { events: 15, state: 1 },
    });
  });

  it('splits bytes per saga into events, read models (whatever the read side writes) and the rest', () => {
    const tallies = {
      worker: { events: 4000, counters: 400, payments: 200 },
      api: { idempotency: 200 },
      'read side': { rm_orders: 1000, checkpoints: 600, events: 0 },
    };
    expect(bytesPerSaga(tallies, 4, new Set(['events', 'counters']))).toEqual({
      events: 1100,
      'read models': 400,
      other: 100,
    });
    expect(bytesPerSaga(tallies, 0, new Set()).events).toBeNaN();
  });
});
