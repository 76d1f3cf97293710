/**
 * The profiled run of scenario 1 (started by bench/run.ts under `node --cpu-prof`): the whole
 * system in this process, our side only, at one concurrency level, against the servers the parent
 * passes in BENCH_* variables. Prints one JSON line with its result.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { installRuntime, startBenchStack } from './lib/stack';
import { sagaScenario } from './scenarios/saga';

async function main() {
  installRuntime();
  const stack = await startBenchStack({
    temporalAddress: process.env.BENCH_TEMPORAL_ADDRESS!,
    namespace: process.env.BENCH_TEMPORAL_NAMESPACE ?? 'default',
    mongodbUri: process.env.BENCH_MONGODB_URI!,
  });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  try {
    const result = await sagaScenario(stack, {
      levels: [
        { concurrency: Number(process.env.BENCH_CONCURRENCY ?? 16), orders: Number(process.env.BENCH_ORDERS ?? 100) },
      ],
      warmup: 4,
      oursOnly: true,
    });
    const { profile } = await session.post('Profiler.stop');
    if (process.env.BENCH_PROFILE_FILE) writeFileSync(process.env.BENCH_PROFILE_FILE, JSON.stringify(profile));
    console.log(`PROFILE-RESULT ${JSON.stringify(result.levels[0]!.ours)}`);
  } finally {
    session.disconnect();
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
