import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../config';

// docker compose cannot run on machines without a Docker engine, so the file is loaded by the
// Compose Spec's own loader, built here with Go: not a unit test, as it needs Go and, the first
// time, compose-go's modules (test/unit/docker-compose.unit.spec.ts checks the file by parsing).
const root = path.resolve(__dirname, '..', '..');
const configKeys = new Set(Object.keys(configSchema.shape));

describe('docker-compose.yml through the Compose Spec loader (what `docker compose config` runs)', () => {
  const tool = path.join(mkdtempSync(path.join(os.tmpdir(), 'compose-config-')), 'compose-config');
  const load = (env: string) => {
    const envFile = path.join(path.dirname(tool), `env-${Math.random().toString(36).slice(2)}`);
    writeFileSync(envFile, env);
    return spawnSync(tool, [path.join(root, 'docker-compose.yml'), envFile], {
      encoding: 'utf8',
      cwd: root,
      env: { PATH: process.env.PATH },
    });
  };
  const secrets = [
    'TEMPORAL_DB_PASSWORD=pg-secret',
    'MONGO_ROOT_PASSWORD=root-secret',
    'MONGODB_APP_PASSWORD=app-secret',
    'API_KEYS=operator-key-0123456789:operator',
    `PAYLOAD_KEYS=k1:${Buffer.alloc(32, 7).toString('base64')}`,
    `BLIND_INDEX_KEY=${Buffer.alloc(32, 8).toString('base64')}`,
  ].join('\n');

  beforeAll(() => {
    // The loader is compose-go (github.com/compose-spec/compose-go/v2), pinned in test/tools/compose-config/go.mod.
    const build = spawnSync('go', ['build', '-o', tool, '.'], {
      cwd: path.join(root, 'test', 'tools', 'compose-config'),
      encoding: 'utf8',
    });
    if (build.status !== 0) throw new Error(`could not build the compose loader: ${build.stderr}`);
  }, 300_000);

  it('loads, with every secret interpolated, into the services the platform runs', () => {
    const result = load(secrets);
    expect(result.status, result.stderr).toBe(0);
    const project = JSON.parse(result.stdout);
    expect(Object.keys(project.services).sort()).toEqual([
      'api',
      'mongodb',
      'postgresql',
      'projector',
      'temporal',
      'temporal-namespace',
      'temporal-schema',
      'temporal-ui',
      'worker',
    ]);
    // The one-shot jobs' scripts keep their shell variables: compose interpolates only its own (`$$` is a `$`).
    const schema = project.services['temporal-schema'].command.join(' ') as string;
    expect(schema).toContain('update-schema -d "$dir"');
    expect(schema).not.toContain('$$');
    expect(project.services['temporal-schema'].environment.SQL_PASSWORD).toBe('pg-secret');
    expect(project.services.temporal.volumes[0].target).toBe(
      project.services.temporal.environment.DYNAMIC_CONFIG_FILE_PATH,
    );
    for (const name of ['api', 'worker', 'projector']) {
      const env = project.services[name].environment as Record<string, string>;
      expect(
        Object.keys(env).filter((key) => !configKeys.has(key)),
        `${name} sets variables the config module does not read`,
      ).toEqual([]);
      expect(env.MONGODB_URI).toBe(
        'mongodb://orders_app:app-secret@mongodb:27017/orders_platform?replicaSet=rs0&authSource=orders_platform',
      );
      expect(env.NODE_ENV).toBe('production');
    }
    expect(project.services.api.environment.HOST).toBe('0.0.0.0');
    expect(project.services.worker.environment.WATCHDOG_TIMEOUT).toBe('60s');
    for (const name of ['api', 'worker', 'projector'])
      expect(project.services[name].healthcheck.test.join(' '), `${name}'s healthcheck as loaded`).toMatch(
        /fetch\('http:\/\/127\.0\.0\.1:\d+\/health\/ready'\)/,
      );
    expect(project.services.projector.deploy.replicas).toBe(2);
  });

  it('refuses to load without the secrets, naming each one', () => {
    const result = load('');
    expect(result.status).not.toBe(0);
    for (const name of [
      'API_KEYS',
      'PAYLOAD_KEYS',
      'BLIND_INDEX_KEY',
      'MONGODB_APP_PASSWORD',
      'MONGO_ROOT_PASSWORD',
      'TEMPORAL_DB_PASSWORD',
    ])
      expect(result.stderr).toContain(`required variable ${name} is missing a value`);
  });
});
