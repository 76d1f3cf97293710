import type { Collection } from 'mongodb';
import { describe, expect, it } from 'vitest';
import {
  checkpointBatch,
  checkpointWriter,
  type CheckpointDocument,
  type CheckpointWriter,
} from '../../../readside/engine/checkpoints';

type Filter = { _id: string; epoch?: number };
type Statement = { filter: Filter; set: Record<string, unknown> };

/** A checkpoints collection that records each command it gets and refuses the checkpoints in `fenced`. */
function recordingCollection(fenced: Set<string>) {
  const commands: Statement[][] = [];
  const matches = (s: Statement) => !fenced.has(s.filter._id);
  const collection = {
    updateOne(filter: Filter, update: { $set: Record<string, unknown> }) {
      const statement = { filter, set: update.$set };
      commands.push([statement]);
      return Promise.resolve({ matchedCount: matches(statement) ? 1 : 0 });
    },
    bulkWrite(ops: Array<{ updateOne: { filter: Filter; update: { $set: Record<string, unknown> } } }>) {
      const statements = ops.map(({ updateOne: { filter, update } }) => ({ filter, set: update.$set }));
      commands.push(statements);
      return Promise.resolve({ matchedCount: statements.filter(matches).length });
    },
  };
  return { collection: collection as unknown as Collection<CheckpointDocument>, commands };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('checkpoint writes of several subscriptions', () => {
  it('go out together: lazy ones with the next urgent one, in one command', async () => {
    const { collection, commands } = recordingCollection(new Set());
    const batch = checkpointBatch(collection, 60_000);
    const events = { fenced: () => {}, failed: () => {} };
    const writers = ['a', 'b', 'c'].map((id) => checkpointWriter(collection, () => ({ _id: id }), 0, events, batch));
    const [a, b, c] = writers as [(typeof writers)[0], (typeof writers)[0], (typeof writers)[0]];
    b.write(5, null, undefined, { lazy: true });
    c.stamp(new Date());
    await tick();
    expect(commands).toHaveLength(0); // lazy: nothing yet
    a.write(7, null);
    await a.settled();
    await tick();
    expect(commands).toHaveLength(1);
    expect(commands[0]!.map((s) => s.filter._id).sort()).toEqual(['a', 'b', 'c']);
    expect(commands[0]!.find((s) => s.filter._id === 'c')!.set).not.toHaveProperty('position');
    expect([a.written(), b.written(), c.written()]).toEqual([7, 5, 0]);
  });

  it('wait for the other subscriptions handling the same events, so that one command carries them all', async () => {
    const { collection, commands } = recordingCollection(new Set());
    const batch = checkpointBatch(collection, 60_000, 60_000);
    const events = { fenced: () => {}, failed: () => {} };
    const [a, b, c] = ['a', 'b', 'c'].map((id) =>
      checkpointWriter(collection, () => ({ _id: id }), 0, events, batch),
    ) as [CheckpointWriter, CheckpointWriter, CheckpointWriter];
    for (const w of [a, b, c]) w.busy();
    a.write(7, null);
    await tick();
    expect(commands).toHaveLength(0); // b and c are still handling theirs
    b.write(7, null);
    await tick();
    expect(commands).toHaveLength(0);
    c.idle(); // c had nothing to write
    await a.settled();
    expect(commands.map((cmd) => cmd.map((s) => s.filter._id).sort())).toEqual([['a', 'b']]);
    expect([a.written(), b.written(), c.written()]).toEqual([7, 7, 0]);
  });

  it('send an urgent write after a few ms even while another subscription is still busy', async () => {
    const { collection, commands } = recordingCollection(new Set());
    const batch = checkpointBatch(collection, 60_000, 20);
    const events = { fenced: () => {}, failed: () => {} };
    const [a, b] = ['a', 'b'].map((id) => checkpointWriter(collection, () => ({ _id: id }), 0, events, batch)) as [
      CheckpointWriter,
      CheckpointWriter,
    ];
    a.busy();
    b.busy();
    a.write(3, null);
    await tick();
    expect(commands).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 40));
    expect(commands.map((cmd) => cmd.map((s) => s.filter._id))).toEqual([['a']]);
    expect(a.written()).toBe(3);
    // b's own urgent write later is not held up by anyone.
    b.write(4, null);
    await b.settled();
    expect(commands).toHaveLength(2);
  });

  it('send a lazy write within its wait when nothing else goes out', async () => {
    const { collection, commands } = recordingCollection(new Set());
    const batch = checkpointBatch(collection, 20);
    const writer = checkpointWriter(collection, () => ({ _id: 'a' }), 0, { fenced: () => {}, failed: () => {} }, batch);
    writer.write(3, null, undefined, { lazy: true });
    await tick();
    expect(commands).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 40));
    expect(commands).toHaveLength(1);
    expect(writer.written()).toBe(3);
  });

  it('tell only the subscription whose lease was taken over that it was fenced', async () => {
    const { collection, commands } = recordingCollection(new Set(['b']));
    const batch = checkpointBatch(collection, 60_000);
    const fenced: string[] = [];
    const writer = (id: string) =>
      checkpointWriter(collection, () => ({ _id: id }), 0, { fenced: () => fenced.push(id), failed: () => {} }, batch);
    const [a, b] = [writer('a'), writer('b')];
    b.write(4, null, undefined, { lazy: true });
    a.write(9, null);
    await a.settled();
    await b.settled();
    expect(fenced).toEqual(['b']);
    expect([a.written(), b.written(), b.asked()]).toEqual([9, 0, 0]);
    // One command for both, then each alone to learn which one was refused.
    expect(commands.map((c) => c.length)).toEqual([2, 1, 1]);
  });
});
