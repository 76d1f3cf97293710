import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { loadConfig } from '../../config';
import { createLogger } from '../../infra/logger';
import { freePort } from '../../servers/run-command';
import { http, startStack, type Stack } from '../helpers/stack';

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
    const serve = async (client: Client, db: ReturnType<MongoClient['db']>) => {
      const server = createApp({ client, db, config, log: createLogger('health-test') }).listen(0, '127.0.0.1');
      await new Promise<void>((r) => server.once('listening', r));
      const res = await http(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'GET', '/health');
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
    await deadMongo.close();
  });
});
