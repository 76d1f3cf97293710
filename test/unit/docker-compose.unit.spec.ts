import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema } from '../../config';

// docker compose cannot run on machines without a Docker engine, so the file is checked by parsing.
const root = path.resolve(__dirname, '..', '..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true });
const services: Record<string, any> = compose.services;
const configKeys = new Set(Object.keys(configSchema.shape));

describe('docker-compose.yml', () => {
  it('has the production-shaped services with healthchecks', () => {
    for (const name of ['postgresql', 'temporal', 'temporal-ui', 'mongodb', 'api', 'worker', 'projector']) {
      expect(services[name], `service ${name}`).toBeDefined();
      expect(services[name].healthcheck, `healthcheck of ${name}`).toBeDefined();
    }
  });

  it('runs Temporal on PostgreSQL with the official images and the UI pointed at it', () => {
    expect(services.temporal.image).toMatch(/^temporalio\/(auto-setup|server):/);
    expect(services.temporal.environment.DB).toMatch(/^postgres/);
    expect(services.temporal.environment.POSTGRES_SEEDS).toBe('postgresql');
    expect(services['temporal-ui'].image).toMatch(/^temporalio\/ui:/);
    expect(services['temporal-ui'].environment.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('runs MongoDB as a replica set that initiates itself, on a named volume', () => {
    expect(services.mongodb.command.join(' ')).toContain('--replSet rs0');
    expect(JSON.stringify(services.mongodb.healthcheck.test)).toContain('rs.initiate');
    expect(services.mongodb.volumes[0]).toMatch(/^mongodb-data:/);
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['mongodb-data', 'postgresql-data']));
  });

  it('builds the API and the worker from this repository with environment the config module reads', () => {
    expect(readFileSync(path.join(root, 'Dockerfile'), 'utf8')).toContain('npm ci');
    for (const name of ['api', 'worker', 'projector']) {
      const service = services[name];
      expect(service.build, `${name} is built from the repo`).toBe('.');
      const env = Object.keys(service.environment);
      const unknown = env.filter((key) => !configKeys.has(key));
      expect(unknown, `${name} sets variables the config module does not read`).toEqual([]);
      expect(env).toEqual(expect.arrayContaining(['TEMPORAL_ADDRESS', 'MONGODB_URI', 'TASK_QUEUE']));
      expect(service.environment.MONGODB_URI).toContain('replicaSet=rs0');
      expect(service.depends_on.temporal.condition).toBe('service_healthy');
      expect(service.depends_on.mongodb.condition).toBe('service_healthy');
    }
    expect(services.api.command.join(' ')).toContain('api/main.ts');
    expect(services.worker.command.join(' ')).toContain('workers/main.ts');
    expect(services.projector.command.join(' ')).toContain('consumers/main.ts');
  });
});
