/**
 * One projector process for the lag scenario (started by bench/scenarios/lag.ts, as many as the
 * deployment documents): the real consumers, leases and all, against BENCH_MONGODB_URI and
 * BENCH_DB. The parent sends every appended position over IPC; the process that holds the orders
 * projection answers with the wall-clock instant its read model held that position. With
 * BENCH_PROFILE_FILE set it also records a CPU profile of itself until told to stop.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { MongoClient } from 'mongodb';
import { startConsumers } from '../consumers';
import { createLogger } from '../infra/logger';

type Message = { position: number } | { stop: true };
const wallClock = () => performance.timeOrigin + performance.now();

async function main() {
  const client = new MongoClient(process.env.BENCH_MONGODB_URI!, { serverSelectionTimeoutMS: 10_000 });
  await client.connect();
  const session = process.env.BENCH_PROFILE_FILE ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
  }
  // As in production: fault injection off, so it costs nothing.
  const consumers = await startConsumers(client.db(process.env.BENCH_DB!), createLogger('projector-bench', 'silent'), { faultInjection: false });
  const send = (message: unknown) => process.send?.(message);
  process.on('message', async (message: Message) => {
    if ('stop' in message) {
      if (session) {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(process.env.BENCH_PROFILE_FILE!, JSON.stringify(profile));
        session.disconnect();
      }
      await consumers.stop();
      await client.close();
      send({ stopped: true });
      process.exit(0);
    }
    const orders = consumers.projector.live('orders');
    // Only the holder of the orders projection answers; a standby stays silent.
    if (!orders) return;
    if (await orders.caughtUp(message.position, 60_000)) send({ position: message.position, at: wallClock() });
  });
  send({ ready: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
