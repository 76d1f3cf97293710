import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { loadConfig } from '../../config';
import { createLogger } from '../../infra/logger';
import { freePort } from '../../servers/run-command';
import { http, startStack, type Stack } from '../helpers/stack';
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
    const res = await http(stack.baseUrl, 'GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ temporal: 'up', mongodb: 'up' });
  });

  it('answers 503 naming the server that is down', async () => {
    // Real clients pointed at ports where nothing listens: the same failure a crashed server gives.
    const deadPort = await freePort();
    const deadMongo = new MongoClient(`mongodb://127.0.0.1:${deadPort}/?directConnection=true`, { serverSelectionTimeoutMS: 500 });
    const deadTemporal = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${deadPort}`, connectTimeout: 500 }) });
    const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
    const serve = async (client: Client, db: ReturnType<MongoClient['db']>, path = '/health') => {
      const server = createApp(apiParts({ client, db, config, log: createLogger('health-test') })).listen(0, '127.0.0.1');
      await new Promise<void>((r) => server.once('listening', r));
      const res = await http(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'GET', path);
      server.close();
      return res;
    };

    const mongoDown = await serve(stack.client, deadMongo.db('x'));
    expect(mongoDown.status).toBe(503);
    expect(mongoDown.body).toMatchObject({ temporal: 'up', mongodb: 'down' });
    expect(mongoDown.body.errors.mongodb).toBeTruthy();

    const temporalDown = await serve(deadTemporal, stack.mongo.db);
    expect(temporalDown.status).toBe(503);
    expect(temporalDown.body).toMatchObject({ temporal: 'down', mongodb: 'up' });

    // Readiness is about the same two servers; the read side can only say MongoDB is away.
    const notReady = await serve(deadTemporal, stack.mongo.db, '/health/ready');
    expect(notReady.status).toBe(503);
    expect(notReady.body).toMatchObject({ ready: false, temporal: 'down', mongodb: 'up' });
    expect(notReady.body.errors.temporal).toBeTruthy();
    const readSideDown = await serve(stack.client, deadMongo.db('x'), '/health/read-side');
    expect(readSideDown.status).toBe(503);
    expect(readSideDown.body).toMatchObject({ ready: false, mongodb: 'down', stalled: [] });
    expect(readSideDown.body.errors.mongodb).toBeTruthy();
    await deadMongo.close();
  });

  it('answers readiness 200 while Temporal and MongoDB respond, and the read side 200 with every projection named when none is stalled', async () => {
    const ready = await http(stack.baseUrl, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ ready: true, temporal: 'up', mongodb: 'up' });
    const readSide = await http(stack.baseUrl, 'GET', '/health/read-side');
    expect(readSide.status).toBe(200);
    expect(readSide.body).toMatchObject({ ready: true, mongodb: 'up', stalled: [] });
    expect(readSide.body.projections.map((p: { name: string }) => p.name).sort()).toEqual(['accounts', 'inventory', 'orders', 'sales']);
  });
});
