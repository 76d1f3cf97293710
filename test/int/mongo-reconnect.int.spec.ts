import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../config';
import { connectMongo, type Mongo } from '../../infra/mongo';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { waitFor } from '../helpers/wait-for';

/**
 * A server that stops closes every connection at once. When the connection of an operation in
 * flight is closed before the client has seen its monitor's connection close, the retry asks the
 * monitor for a check at once, and the check is written to a socket that is already gone. This
 * proves the client still reaches the server afterwards.
 */
describe('a MongoDB client whose server closes every connection', () => {
  let proxy: TcpProxy;
  let mongo: Mongo;
  let lastHeartbeat = 0;

  beforeAll(async () => {
    const upstream = new URL(inject('mongodbUri'));
    proxy = await startTcpProxy({ host: upstream.hostname, port: Number(upstream.port) });
    const config = loadConfig({
      ...process.env,
      MONGODB_URI: `mongodb://127.0.0.1:${proxy.port}/?directConnection=true`,
      MONGODB_DB: 'reconnect_test',
      LOG_LEVEL: 'silent',
    });
    mongo = await connectMongo(config);
    // Connecting waits for the first check, so it ended no later than now.
    lastHeartbeat = Date.now();
    mongo.client.on('serverHeartbeatSucceeded', () => (lastHeartbeat = Date.now()));
    await mongo.db.collection('probe').updateOne({ _id: 'p' as never }, { $set: { at: new Date() } }, { upsert: true });
  });

  afterAll(async () => {
    await mongo?.db.dropDatabase().catch(() => {});
    await mongo?.close();
    await proxy?.close();
  });

  it('reaches the server again after it closed every connection while a read was in flight', async () => {
    // The driver checks at most every 500 ms; an earlier request waits for the next slot instead.
    await waitFor('the last monitor check to lie 600 ms back', () => Date.now() - lastHeartbeat > 600, 15_000);
    proxy.hold();
    const inFlight = mongo.db
      .collection('probe')
      .findOne({ _id: 'p' as never })
      .catch((err: Error) => err);
    await waitFor('the read to reach the server', () => proxy.holding() > 0, 5_000);
    proxy.cut();
    // The server is back at once; a healthy client finds it again within a second (its next check).
    const found = await waitFor(
      'a read through the same client to succeed again',
      async () =>
        (await mongo.db
          .collection('probe')
          .findOne({ _id: 'p' as never }, { maxTimeMS: 2_000 })
          .catch(() => null)) ?? false,
      30_000,
    );
    expect(found).toMatchObject({ _id: 'p' });
    await inFlight;
  }, 60_000);
});
