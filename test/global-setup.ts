import type { TestProject } from 'vitest/node';
import { loadConfig } from '../config';
import { obtainMongo, type MongoServer } from '../servers/mongodb';
import type { Progress } from '../servers/run-command';
import { obtainTemporal, type TemporalServer } from '../servers/temporal';
import type { SharedServer } from './tiers.mjs';

/**
 * Vitest runs this setup once per project (tier) that asks for it, each time as a module of its own,
 * so the servers live on globalThis: a run starts each server once, however many tiers need it, and
 * stops it after the last of those tiers has torn down.
 */
interface SharedServers {
  temporal?: Promise<TemporalServer>;
  mongodb?: Promise<MongoServer>;
  tiers: number;
}
const KEY = Symbol.for('temporal-order-platform.test-servers');
const shared: SharedServers = ((globalThis as Record<symbol, SharedServers | undefined>)[KEY] ??= { tiers: 0 });

const log: Progress = (m: string) => console.log(`[test servers] ${m}`);

/**
 * Obtains the servers the project's tier needs through the same resolution order as `npm start`
 * (ephemeral mode: random ports, in-memory MongoDB), and hands their addresses to the test files.
 */
export async function setup(project: TestProject) {
  // Counted first: vitest calls the teardown of a project whose setup failed, too.
  shared.tiers += 1;
  // tiers.mts is an ES module (vitest.config.mts reads it too), so it comes in through import().
  const { TIERS } = await import('./tiers.mjs');
  const tier = TIERS.find((t) => t.project === project.name);
  if (!tier)
    throw new Error(
      `test/global-setup.ts runs for the tiers of test/tiers.mts; project "${project.name}" is none of them`,
    );
  const started = Date.now();
  const fresh = tier.servers.filter((name) => !shared[name]);
  const config = loadConfig();
  const obtain: { [K in SharedServer]: () => Promise<TemporalServer | MongoServer> } = {
    temporal: () => (shared.temporal = obtainTemporal({ config, mode: 'ephemeral', progress: log })),
    mongodb: () => (shared.mongodb = obtainMongo({ config, mode: 'ephemeral', progress: log })),
  };
  // Side by side: their first-run builds are independent.
  const results = await Promise.allSettled(fresh.map((name) => obtain[name]()));
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    // Do not leave the one that did start running.
    for (const name of fresh) shared[name] = undefined;
    await Promise.allSettled(results.map(async (r) => r.status === 'fulfilled' && (await r.value.stop())));
    throw new Error(failures.map((r) => String(r.reason?.message ?? r.reason)).join('\n'));
  }
  if (fresh.length > 0)
    log(`${fresh.join(' and ')} ready in ${((Date.now() - started) / 1000).toFixed(1)}s (${tier.project} tier)`);

  if (tier.servers.includes('temporal')) {
    const temporal = await shared.temporal!;
    process.env.TEMPORAL_ADDRESS = temporal.address;
    process.env.TEMPORAL_NAMESPACE = temporal.namespace;
    project.provide('temporalAddress', temporal.address);
  }
  if (tier.servers.includes('mongodb')) {
    const mongo = await shared.mongodb!;
    process.env.MONGODB_URI = mongo.uri;
    project.provide('mongodbUri', mongo.uri);
  }
}

export async function teardown() {
  shared.tiers -= 1;
  if (shared.tiers > 0) return;
  const started = [shared.temporal, shared.mongodb];
  shared.temporal = shared.mongodb = undefined;
  // A server that failed to start has nothing to stop; one that started is stopped even if the other failed.
  await Promise.allSettled(started.map(async (server) => (await server)?.stop()));
}

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    mongodbUri: string;
  }
}
