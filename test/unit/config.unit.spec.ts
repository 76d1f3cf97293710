import { describe, expect, it } from 'vitest';
import { ConfigError, listenHost, loadConfig, mongodbUri, temporalAddress } from '../../config';

describe('config', () => {
  it('has defaults for every setting so npm start needs no environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      TEMPORAL_NAMESPACE: 'default',
      TASK_QUEUE: 'orders',
      TEMPORAL_PORT: 7233,
      TEMPORAL_UI_PORT: 8233,
      MONGODB_DB: 'orders_platform',
      DATA_DIR: 'data',
    });
    expect(temporalAddress(config)).toBe('127.0.0.1:7233');
    expect(mongodbUri(config)).toBe('mongodb://127.0.0.1:27017/?directConnection=true');
  });

  it('uses the existing servers given by the environment', () => {
    const config = loadConfig({
      TEMPORAL_ADDRESS: 'temporal:7233',
      MONGODB_URI: 'mongodb://m1:27017/?replicaSet=rs0',
      PORT: '8080',
    });
    expect(temporalAddress(config)).toBe('temporal:7233');
    expect(mongodbUri(config)).toBe('mongodb://m1:27017/?replicaSet=rs0');
    expect(config.PORT).toBe(8080);
  });

  it('keeps the open development API off the network unless told otherwise', () => {
    expect(listenHost(loadConfig({}))).toBe('127.0.0.1');
    expect(listenHost(loadConfig({ HOST: '0.0.0.0' }))).toBe('0.0.0.0');
    const production = {
      NODE_ENV: 'production',
      API_KEYS: 'operator-key-0123456789:operator',
      PAYLOAD_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
      BLIND_INDEX_KEY: Buffer.alloc(32, 2).toString('base64'),
    };
    expect(listenHost(loadConfig(production))).toBe('0.0.0.0');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', TEMPORAL_ADDRESS: ' ' }).PORT).toBe(3000);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '1.5' }, 'PORT'],
    [{ TEMPORAL_ADDRESS: 'localhost' }, 'TEMPORAL_ADDRESS'],
    [{ MONGODB_URI: 'http://x' }, 'MONGODB_URI'],
    [{ MONGODB_DB: 'a.b' }, 'MONGODB_DB'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
  ])('rejects %o with a message naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    try {
      loadConfig(env);
    } catch (err) {
      expect((err as ConfigError).problems.join('\n')).toContain(name);
    }
  });

  it('gives the watchdog a minute and the worker and projector health ports of their own, and refuses a watchdog shorter than a second', () => {
    expect(loadConfig({})).toMatchObject({
      WATCHDOG_TIMEOUT: 60_000,
      PROJECTOR_HEALTH_PORT: 9465,
      WORKER_HEALTH_PORT: 9466,
    });
    expect(loadConfig({ WATCHDOG_TIMEOUT: '3s', PROJECTOR_HEALTH_PORT: '0' })).toMatchObject({
      WATCHDOG_TIMEOUT: 3_000,
      PROJECTOR_HEALTH_PORT: 0,
    });
    for (const [env, message] of [
      [{ WATCHDOG_TIMEOUT: '500ms' }, 'WATCHDOG_TIMEOUT must be at least 1s'],
      [{ WATCHDOG_TIMEOUT: 'soon' }, 'WATCHDOG_TIMEOUT must be a duration'],
      [{ PROJECTOR_HEALTH_PORT: '70000' }, 'PROJECTOR_HEALTH_PORT must be between 0 (off) and 65535'],
      [{ WORKER_HEALTH_PORT: 'x' }, 'WORKER_HEALTH_PORT must be a number'],
    ] as const) {
      expect(() => loadConfig(env)).toThrow(message);
    }
  });

  it('reports every bad variable at once', () => {
    try {
      loadConfig({ PORT: 'x', TEMPORAL_PORT: '0' });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems).toHaveLength(2);
    }
  });

  it('requires a blind-index secret of its own in production, and names BLIND_INDEX_KEY when it is missing or malformed', () => {
    const payloadKey = Buffer.alloc(32, 1).toString('base64');
    const production = {
      NODE_ENV: 'production',
      API_KEYS: 'operator-key-0123456789:operator',
      PAYLOAD_KEYS: `k1:${payloadKey}`,
    };
    expect(() => loadConfig(production)).toThrow('BLIND_INDEX_KEY is required when NODE_ENV=production');
    expect(() => loadConfig({ BLIND_INDEX_KEY: 'c2hvcnQ=' })).toThrow(
      'BLIND_INDEX_KEY must be the base64 of 32 random bytes',
    );
    expect(() => loadConfig({ BLIND_INDEX_KEY: `${payloadKey.slice(0, -1)}!` })).toThrow(
      'BLIND_INDEX_KEY must be the base64 of 32 random bytes',
    );
    expect(() => loadConfig({ ...production, BLIND_INDEX_KEY: payloadKey })).toThrow(
      'BLIND_INDEX_KEY must be a secret of its own',
    );
    const index = Buffer.alloc(32, 2);
    expect(loadConfig({ ...production, BLIND_INDEX_KEY: index.toString('base64') }).BLIND_INDEX_KEY).toEqual(index);
    expect(
      loadConfig({}).BLIND_INDEX_KEY,
      'outside production the key is generated (infra/personal-data/master-keys.ts)',
    ).toBeUndefined();
  });
});
