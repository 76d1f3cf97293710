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
import { readSideParts } from '../composition/readside';
import { startConsumers } from '../readside';
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
  const consumers = await startConsumers(
    { ...readSideParts(client.db(process.env.BENCH_DB)), log: createLogger('projector-bench', 'silent') },
    { faultInjection: false },
  );
  const send = (message: unknown) => process.send?.(message);

  // When each position became readable, stamped as the orders projection's write completes (its
  // caughtUp waiters run right then). The parent asks only once its append has returned and the
  // question has crossed IPC; stamping on arrival would charge that hop to the projection.
  const appliedAt = new Map<number, number>();
  let tracked: ReturnType<typeof consumers.projector.live> = undefined;
  const track = (orders: NonNullable<typeof tracked>) => {
    tracked = orders;
    void (async () => {
      let seen = orders.position();
      while (tracked === orders) {
        if (!(await orders.caughtUp(seen + 1, 1_000))) continue;
        const now = wallClock();
        const reached = orders.position();
        for (let p = seen + 1; p <= reached; p++) appliedAt.set(p, now);
        seen = reached;
        // Positions nobody asked about (a standby's, the warm-up's) are not kept for long.
        if (appliedAt.size > 50_000) for (const p of [...appliedAt.keys()].slice(0, 25_000)) appliedAt.delete(p);
      }
    })();
  };
  const holderCheck = setInterval(() => {
    const orders = consumers.projector.live('orders');
    if (orders && orders !== tracked) track(orders);
    if (!orders) tracked = undefined;
  }, 50);

  const onMessage = async (message: Message) => {
    if ('stop' in message) {
      clearInterval(holderCheck);
      tracked = undefined;
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
    if (orders !== tracked) track(orders);
    if (await orders.caughtUp(message.position, 60_000)) {
      const at = appliedAt.get(message.position) ?? wallClock();
      appliedAt.delete(message.position);
      send({ position: message.position, at });
    }
  };
  // void: a failure here rejects unhandled, which ends the child and so fails the bench run.
  process.on('message', (message: Message) => void onMessage(message));
  send({ ready: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
