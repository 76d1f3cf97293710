/**
 * npm run rebuild -- <projection>   (orders | inventory | accounts | sales)
 * Asks the running projector to rebuild a read model from position 0 into a fresh generation,
 * then follows its progress until the new generation is swapped in. The old one serves reads
 * meanwhile. Same as POST /projections/<name>/rebuild.
 */
import { loadConfig } from '../config';
import { connectMongo } from '../infra/mongo';
import { scriptParts } from '../composition/scripts';
import { projectionState, projectionNamed, projections, projectionStatuses, requestRebuild } from '../readside';

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
      throw new Error(
        'No projector is running (start the system with `npm start`); the projector carries out rebuilds.',
      );
    }
    const answer = await requestRebuild(mongo.db, projection.name);
    let generation: number;
    if (answer.requested) {
      generation = answer.generation;
      console.log(
        `rebuilding ${projection.name} into generation ${generation} (generation ${answer.servingGeneration} keeps serving reads)`,
      );
    } else {
      generation = answer.generation ?? (await projectionState(mongo.db, projection.name)).building ?? state.active;
      console.log(`a rebuild of ${projection.name} into generation ${generation} is already under way; following it`);
    }
    const { store } = scriptParts(mongo.db);
    const started = Date.now();
    for (;;) {
      const row = (await projectionStatuses(mongo.db, store, 10_000)).find((r) => r.name === projection.name)!;
      if (row.generation === generation && row.rebuilding === null) break;
      const position = row.rebuilding?.position ?? 0;
      console.log(
        `  ${position}/${row.headPosition} events (${row.headPosition ? Math.floor((position / row.headPosition) * 100) : 100}%)`,
      );
      await new Promise((r) => setTimeout(r, 1_000));
    }
    console.log(
      `done: ${projection.name} now serves generation ${generation} (${((Date.now() - started) / 1000).toFixed(1)}s)`,
    );
  } finally {
    await mongo.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
