import type { ChangeStream, Db } from 'mongodb';
import { MINIMAL_EVENTS, MINIMAL_ORDERS, type MinimalEvent } from './activities';

/**
 * The minimal read side: one bare change stream on the events collection, and for each inserted
 * event one upsert of the order's read-model document. No checkpoint, no ordering check, no
 * leases: it is the floor of what a change-stream read model costs, not a design to copy.
 */
export async function startMinimalWatcher(db: Db): Promise<{ stop(): Promise<void> }> {
  const orders = db.collection<{ _id: string; status: string; events: number; updatedAt: Date }>(MINIMAL_ORDERS);
  let stream: ChangeStream<MinimalEvent> | undefined = db
    .collection<MinimalEvent>(MINIMAL_EVENTS)
    .watch([{ $match: { operationType: 'insert' } }]);
  const apply = async (change: Awaited<ReturnType<ChangeStream<MinimalEvent>['tryNext']>>) => {
    if (change?.operationType !== 'insert') return;
    const event = change.fullDocument;
    await orders.updateOne(
      { _id: event.orderId },
      { $set: { status: event.type, updatedAt: event.at }, $inc: { events: 1 } },
      { upsert: true },
    );
  };
  // The first pull opens the cursor: what is inserted after this returns is seen.
  await apply(await stream.tryNext());
  const running = (async () => {
    while (stream) {
      let change;
      try {
        change = await stream.tryNext();
      } catch (err) {
        if (!stream) return;
        throw err;
      }
      if (!change) await new Promise((r) => setTimeout(r, 5));
      else await apply(change);
    }
  })();
  return {
    async stop() {
      const s = stream;
      stream = undefined;
      await s?.close();
      await running.catch(() => {});
    },
  };
}
