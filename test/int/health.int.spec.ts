import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { loadConfig } from '../../config';
import { createLogger } from '../../infra/logger';
import { freePort } from '../../servers/run-command';
import { createApiClient, type Answer, type ApiClient } from '../../api/client';
import { apiOf, startStack, type Stack } from '../helpers/stack';
import { apiParts } from '../../composition';

describe('GET /health', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers 200 when Temporal and MongoDB both respond', async () => {
    const res = await apiOf(stack).GET('/health');
    expect(res.response.status).toBe(200);
    expect(res.data).toEqual({ temporal: 'up', mongodb: 'up' });
  });

  it('answers 503 naming the server that is down', async () => {
    // Real clients pointed at ports where nothing listens: the same failure a crashed server gives.
    const deadPort = await freePort();
    const deadMongo = new MongoClient(`mongodb://127.0.0.1:${deadPort}/?directConnection=true`, {
      serverSelectionTimeoutMS: 500,
    });
    const deadTemporal = new Client({
      connection: Connection.lazy({ address: `127.0.0.1:${deadPort}`, connectTimeout: 500 }),
    });
    const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
    /** An API over these clients, asked one request. */
    const serve = async <T>(client: Client, db: ReturnType<MongoClient['db']>, ask: (api: ApiClient) => Promise<T>) => {
      const server = createApp(apiParts({ client, db, config, log: createLogger('health-test') })).listen(
        0,
        '127.0.0.1',
      );
      await new Promise<void>((r) => server.once('listening', r));
      try {
        return await ask(createApiClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
      } finally {
        server.close();
      }
    };

    const mongoDown = await serve(stack.client, deadMongo.db('x'), (api) => api.GET('/health'));
    expect(mongoDown.response.status).toBe(503);
    const mongoDownBody = mongoDown.error as Answer<'/health', 'get', 503>;
    expect(mongoDownBody).toMatchObject({ temporal: 'up', mongodb: 'down' });
    expect(mongoDownBody.errors!.mongodb).toBeTruthy();

    const temporalDown = await serve(deadTemporal, stack.mongo.db, (api) => api.GET('/health'));
    expect(temporalDown.response.status).toBe(503);
    expect(temporalDown.error).toMatchObject({ temporal: 'down', mongodb: 'up' });

    // Readiness is about the same two servers; the read side can only say MongoDB is away.
    const notReady = await serve(deadTemporal, stack.mongo.db, (api) => api.GET('/health/ready'));
    expect(notReady.response.status).toBe(503);
    const notReadyBody = notReady.error as Answer<'/health/ready', 'get', 503>;
    expect(notReadyBody).toMatchObject({ ready: false, temporal: 'down', mongodb: 'up' });
    expect(notReadyBody.errors!.temporal).toBeTruthy();
    const readSideDown = await serve(stack.client, deadMongo.db('x'), (api) => api.GET('/health/read-side'));
    expect(readSideDown.response.status).toBe(503);
    const readSideDownBody = readSideDown.error as Answer<'/health/read-side', 'get', 503>;
    expect(readSideDownBody).toMatchObject({ ready: false, mongodb: 'down', stalled: [] });
    expect(readSideDownBody.errors!.mongodb).toBeTruthy();
    await deadMongo.close();
  });

  it('answers readiness 200 while Temporal and MongoDB respond, and the read side 200 with every projection named when none is stalled', async () => {
    const ready = await apiOf(stack).GET('/health/ready');
    expect(ready.response.status).toBe(200);
    expect(ready.data).toEqual({ ready: true, temporal: 'up', mongodb: 'up' });
    const readSide = await apiOf(stack).GET('/health/read-side');
    expect(readSide.response.status).toBe(200);
    expect(readSide.data).toMatchObject({ ready: true, mongodb: 'up', stalled: [] });
    expect(readSide.data!.projections.map((p) => p.name).sort()).toEqual(['accounts', 'inventory', 'orders', 'sales']);
  });
});
