/**
 * npm run rebuild -- <projection>   (orders | inventory | accounts | sales)
 * Asks the running projector to rebuild a read model from position 0 into a fresh generation,
 * then follows its progress until the new generation is swapped in. The old one serves reads
 * meanwhile. Same as POST /projections/<name>/rebuild.
 */
import { loadConfig } from '../config';
import { connectMongo } from '../infra/mongo';
import { checkpoints } from '../subscriptions/runner';
import { createEventStore } from '../eventstore';
import { projectionNamed, projections } from '../projections';
import { checkpointIdOf, projectionState, projectionStates } from '../projections/generations';

async function main() {
  const name = process.argv[2];
  const projection = name ? projectionNamed(name) : undefined;
  if (!projection) {
    console.error(`usage: npm run rebuild -- <${projections.map((p) => p.name).join('|')}>`);
    process.exit(2);
  }
  const mongo = await connectMongo(loadConfig());
  try {
    const state = await projectionState(mongo.db, projection.name);
    if (!state.heartbeatAt || Date.now() - state.heartbeatAt.getTime() > 10_000) {
      throw new Error('No projector is running (start the system with `npm start`); the projector carries out rebuilds.');
    }
    let generation = state.building;
    if (generation === null) {
      generation = state.active + 1;
      const claimed = await projectionStates(mongo.db).updateOne({ _id: projection.name, building: null, active: state.active }, { $set: { building: generation, requestedAt: new Date() } });
      if (claimed.modifiedCount === 0) throw new Error('Another rebuild was requested at the same moment; run the command again to follow it.');
      console.log(`rebuilding ${projection.name} into generation ${generation} (generation ${state.active} keeps serving reads)`);
    } else {
      console.log(`a rebuild of ${projection.name} into generation ${generation} is already under way; following it`);
    }
    const store = createEventStore(mongo.db);
    const started = Date.now();
    for (;;) {
      const now = await projectionState(mongo.db, projection.name);
      if (now.active === generation) break;
      const position = (await checkpoints(mongo.db).findOne({ _id: checkpointIdOf(projection.name, generation) }))?.position ?? 0;
      const head = await store.headPosition();
      console.log(`  ${position}/${head} events (${head ? Math.floor((position / head) * 100) : 100}%)`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    console.log(`done: ${projection.name} now serves generation ${generation} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  } finally {
    await mongo.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
