import type { Db } from 'mongodb';
import { median } from './util';

/** Commands timed one at a time; the insert and update use the event store's write concern. */
const SAMPLES = 300;
const WARM_UP = 50;

/**
 * What one round trip to the MongoDB server costs on this machine, idle and one command at a time
 * (median, microseconds): the floor under every step of a saga, whatever the server is. Compare it
 * with the same commands on a replica set (see docs/performance.md, "The stand-in's limits").
 */
export async function mongoRoundTrips(db: Db): Promise<Record<string, number>> {
  const docs = db.collection<{ _id: string; n: number }>('round_trips', { writeConcern: { w: 'majority' } });
  const inserts = db.collection<{ at: Date }>('round_trip_inserts', { writeConcern: { w: 'majority' } });
  await docs.insertOne({ _id: 'probe', n: 0 });
  const commands: Record<string, () => Promise<unknown>> = {
    ping: () => db.command({ ping: 1 }),
    'find by _id': () => docs.findOne({ _id: 'probe' }),
    'update by _id': () => docs.updateOne({ _id: 'probe' }, { $inc: { n: 1 } }),
    insert: () => inserts.insertOne({ at: new Date() }),
  };
  const out: Record<string, number> = {};
  for (const [name, command] of Object.entries(commands)) {
    for (let i = 0; i < WARM_UP; i++) await command();
    const times: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const started = performance.now();
      await command();
      times.push(performance.now() - started);
    }
    out[name] = Math.round(median(times) * 1000);
  }
  await db.dropDatabase();
  return out;
}
