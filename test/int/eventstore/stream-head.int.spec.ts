import fc from 'fast-check';
import type { CommandStartedEvent } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collections } from '../../../eventstore/collections';
import { lastVersionByProbes } from '../../../eventstore/lookups';
import { freshStore, type FreshStore } from './fresh-db';

/**
 * On servers that do not index ranges (the stand-in), a stream's head is found by exact
 * `(streamId, version)` probes. Each round of probes is one query with `$in` on the version, which
 * the stand-in's launcher answers from the compound index: these tests hold both halves to the
 * answers a full scan gives.
 */
describe('stream heads by probes', () => {
  let fresh: FreshStore;
  const commands: CommandStartedEvent[] = [];
  beforeAll(async () => {
    fresh = await freshStore({ monitorCommands: true });
    fresh.client.on('commandStarted', (e) => {
      if (e.databaseName === fresh.db.databaseName) commands.push(e);
    });
  });
  afterAll(async () => {
    await fresh?.close();
  });

  it('finds the last version of a stream of any length, from any hint, and takes one query when the hint is right or the stream is new', async () => {
    const c = collections(fresh.db);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 8 }),
        fc.oneof(
          fc.constant<'none' | 'exact' | 'low' | 'high'>('none'),
          fc.constant('exact' as const),
          fc.constant('low' as const),
          fc.constant('high' as const),
        ),
        fc.integer({ min: 1, max: 50 }),
        async (batches, hintKind, off) => {
          const streamId = `head-${n++}`;
          for (const size of batches)
            await fresh.store.append(
              streamId,
              Array.from({ length: size }, () => ({ type: 'Noted', data: {} })),
              { streamType: 'note' },
            );
          const length = batches.reduce((a, b) => a + b, 0);
          const hint = {
            none: undefined,
            exact: length || undefined,
            low: Math.max(1, length - off),
            high: length + off,
          }[hintKind];
          commands.length = 0;
          const head = await lastVersionByProbes(c, streamId, hint);
          expect(head?.version ?? 0).toBe(length);
          const finds = commands.filter((e) => e.commandName === 'find').length;
          if ((hintKind === 'exact' && length > 0) || (hintKind === 'none' && length === 0)) expect(finds).toBe(1);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('answers a query with `$in` on one key of a compound unique index exactly as a scan would', async () => {
    const docs = fc.uniqueArray(
      fc.record({
        a: fc.integer({ min: 0, max: 3 }),
        b: fc.integer({ min: 0, max: 15 }),
        c: fc.integer({ min: 0, max: 2 }),
      }),
      {
        selector: (d) => `${d.a}/${d.b}`,
        maxLength: 40,
      },
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        docs,
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.integer({ min: 0, max: 18 }), { maxLength: 6 }),
        fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
        async (rows, a, listed, c, limit) => {
          const coll = fresh.db.collection<{ a: number; b: number; c: number }>(`in_list_${n++}`);
          await coll.createIndex({ a: 1, b: 1 }, { unique: true });
          if (rows.length) await coll.insertMany(rows.map((r) => ({ ...r })));
          const query = { a, b: { $in: listed }, ...(c !== undefined && { c }) };
          const found = await coll
            .find(query, { projection: { _id: 0 }, sort: { b: -1 }, ...(limit && { limit }) })
            .toArray();
          const expected = rows
            .filter((r) => r.a === a && listed.includes(r.b) && (c === undefined || r.c === c))
            .sort((x, y) => y.b - x.b)
            .slice(0, limit ?? Infinity);
          expect(found).toEqual(expected);
          await coll.drop();
        },
      ),
      { numRuns: 60 },
    );
  });
});
