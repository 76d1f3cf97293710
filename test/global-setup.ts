import type { TestProject } from 'vitest/node';
import { loadConfig } from '../config';
import { obtainServers, type Servers } from '../servers';

let servers: Servers | undefined;

/**
 * Obtains the real servers for the run through the same resolution order as `npm start`
 * (ephemeral mode: random ports, in-memory MongoDB), and hands their addresses to the test files.
 */
export async function setup(project: TestProject) {
  const started = Date.now();
  const log = (m: string) => console.log(`[test servers] ${m}`);
  servers = await obtainServers(loadConfig(), 'ephemeral', log);
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  process.env.TEMPORAL_ADDRESS = servers.temporal.address;
  process.env.TEMPORAL_NAMESPACE = servers.temporal.namespace;
  process.env.MONGODB_URI = servers.mongo.uri;
  project.provide('temporalAddress', servers.temporal.address);
  project.provide('mongodbUri', servers.mongo.uri);
}

export async function teardown() {
  await servers?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    mongodbUri: string;
  }
}
