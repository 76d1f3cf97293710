import { MongoClient, type CommandStartedEvent } from 'mongodb';
import { afterAll, beforeAll, inject } from 'vitest';

/**
 * A client on the test MongoDB server for one spec file (connected before its tests, closed after)
 * that records every command it starts in `commands`, for tests that count what an operation sends.
 * Read `t.client` inside tests; `commands` is there from the start.
 */
export function useMonitoredMongo() {
  const t = { commands: [] as CommandStartedEvent[] } as { client: MongoClient; commands: CommandStartedEvent[] };
  beforeAll(async () => {
    t.client = new MongoClient(inject('mongodbUri'), {
      serverSelectionTimeoutMS: 5_000,
      maxPoolSize: 50,
      monitorCommands: true,
    });
    t.client.on('commandStarted', (e) => t.commands.push(e));
    await t.client.connect();
  });
  afterAll(async () => {
    await t.client?.close();
  });
  return t;
}

/**
 * Counts, from the moment it is called, the commands `t` records that `matches`: call the
 * returned function to read the count so far.
 */
export function countFromNow(
  t: { commands: CommandStartedEvent[] },
  matches: (e: CommandStartedEvent) => boolean,
): () => number {
  const from = t.commands.length;
  return () => t.commands.slice(from).filter(matches).length;
}
