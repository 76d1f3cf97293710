import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONTRACT } from '../../api/contract';
import { configSchema } from '../../config';
import { projectorHealth } from '../../readside/health';
import { workerHealth } from '../../workers/health';
import { TEMPORAL_DYNAMIC_CONFIG, TEMPORAL_SERVER_VERSION } from '../../servers/temporal-dynamic-config';

// docker compose cannot run on machines without a Docker engine, so the file is checked by parsing
// (and by the Compose Spec's own loader in test/int/docker-compose-loader.int.spec.ts).
const root = path.resolve(__dirname, '..', '..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true, maxAliasCount: -1 });
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
    expect(services.temporal.image).toMatch(/^temporalio\/server:/);
    expect(services.temporal.environment.DB).toMatch(/^postgres/);
    expect(services.temporal.environment.POSTGRES_SEEDS).toBe('postgresql');
    expect(services['temporal-ui'].image).toMatch(/^temporalio\/ui:/);
    expect(services['temporal-ui'].environment.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('runs the Temporal server version the embedded dev server runs, its schema and namespace set up by jobs of the same version', () => {
    expect(services.temporal.image).toBe(`temporalio/server:${TEMPORAL_SERVER_VERSION}`);
    for (const job of ['temporal-schema', 'temporal-namespace'])
      expect(services[job].image, job).toBe(`temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`);
    expect(services.temporal.depends_on['temporal-schema'].condition).toBe('service_completed_successfully');
    expect(services['temporal-schema'].depends_on.postgresql.condition).toBe('service_healthy');
    expect(services['temporal-namespace'].depends_on.temporal.condition).toBe('service_healthy');
    expect(services['temporal-namespace'].environment.NAMESPACE).toBe('${TEMPORAL_NAMESPACE:-default}');
    expect(services['temporal-namespace'].command.join(' ')).toContain('namespace create -n "$$NAMESPACE"');
  });

  it('has every one-shot job awaited by a long-running service, so that `docker compose up --wait` ends', () => {
    // Services without a healthcheck are the one-shot jobs; `--wait` counts one done when it exits 0
    // only if a long-running service waits for it with service_completed_successfully.
    const oneShot = Object.keys(services).filter((name) => services[name].healthcheck === undefined);
    expect(oneShot.sort()).toEqual(['temporal-namespace', 'temporal-schema']);
    for (const job of oneShot) {
      expect(services[job].restart, `${job} is not restarted once done`).toMatch(/^on-failure/);
      const awaitedBy = Object.keys(services).filter(
        (name) =>
          !oneShot.includes(name) && services[name].depends_on?.[job]?.condition === 'service_completed_successfully',
      );
      expect(awaitedBy.length, `${job} is awaited by a long-running service`).toBeGreaterThan(0);
    }
    for (const name of ['api', 'worker', 'projector'])
      expect(services[name].depends_on['temporal-namespace'].condition, name).toBe('service_completed_successfully');
  });

  it('gives the Temporal server the same dynamic config as the embedded dev server, fairness included', () => {
    const mount = (services.temporal.volumes as string[]).find((v) =>
      v.startsWith('./docker/temporal/dynamic-config.yaml:'),
    );
    expect(mount, 'the dynamic config file is mounted').toBeDefined();
    expect(services.temporal.environment.DYNAMIC_CONFIG_FILE_PATH).toBe(mount!.split(':')[1]);
    const file = parse(readFileSync(path.join(root, 'docker/temporal/dynamic-config.yaml'), 'utf8')) as Record<
      string,
      Array<{ value: unknown; constraints: unknown }>
    >;
    // One value per key, for every namespace and task queue, as the dev server's flags set them.
    for (const [key, values] of Object.entries(file))
      expect(values, key).toEqual([{ value: values[0]!.value, constraints: {} }]);
    expect(Object.fromEntries(Object.entries(file).map(([key, values]) => [key, values[0]!.value]))).toEqual(
      TEMPORAL_DYNAMIC_CONFIG,
    );
    expect(TEMPORAL_DYNAMIC_CONFIG).toMatchObject({ 'matching.useNewMatcher': true, 'matching.enableFairness': true });
  });

  it('runs MongoDB as a replica set that initiates itself, on a named volume', () => {
    expect(services.mongodb.entrypoint.join(' ')).toContain('--replSet rs0');
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
      expect(service.environment.NODE_ENV).toBe('production');
      expect(service.depends_on.temporal.condition).toBe('service_healthy');
      expect(service.depends_on.mongodb.condition).toBe('service_healthy');
    }
    expect(services.api.command.join(' ')).toContain('api/main.ts');
    expect(services.worker.command.join(' ')).toContain('workers/main.ts');
    expect(services.projector.command.join(' ')).toContain('readside/main.ts');
    expect(services.projector.deploy.replicas).toBe(2);
  });

  it('probes each of our processes at its own readiness endpoint, on the port it is configured to serve it on, and fails the probe on a 503', async () => {
    const served: Record<string, { port: string; paths: string[] }> = {
      api: {
        port: services.api.environment.PORT,
        paths: Object.keys(CONTRACT)
          .filter((route) => route.startsWith('GET /health'))
          .map((route) => route.slice(4)),
      },
      worker: { port: services.worker.environment.WORKER_HEALTH_PORT, paths: Object.keys(workerHealth({} as never)) },
      projector: {
        port: services.projector.environment.PROJECTOR_HEALTH_PORT,
        paths: Object.keys(projectorHealth({} as never)),
      },
    };
    for (const [name, { port, paths }] of Object.entries(served)) {
      const test = services[name].healthcheck.test as string[];
      expect(test.slice(0, 3), `${name} runs its probe with node`).toEqual(['CMD', 'node', '-e']);
      const url = new URL(/fetch\('([^']+)'\)/.exec(test[3]!)![1]!);
      expect(`${url.hostname}:${url.port}`, `${name} is probed on its own port`).toBe(`127.0.0.1:${port}`);
      expect(paths, `${name} serves the path it is probed at`).toContain(url.pathname);
      expect(url.pathname, `${name} is probed for readiness`).toBe('/health/ready');
      // The probe itself, run against a stand-in that answers as the process would.
      for (const status of [200, 503]) {
        let asked = '';
        const server = createServer((req, res) => {
          asked = req.url ?? '';
          res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        const script = test[3]!.replace(`127.0.0.1:${port}`, `127.0.0.1:${(server.address() as AddressInfo).port}`);
        const exitCode = await new Promise<number | null>((resolve) =>
          spawn(process.execPath, ['-e', script], { stdio: 'ignore' }).once('exit', resolve),
        );
        server.close();
        expect(asked).toBe('/health/ready');
        expect(exitCode, `${name}'s probe on a ${status}`).toBe(status === 200 ? 0 : 1);
      }
    }
  });
});

describe('docker-compose.yml security', () => {
  const raw = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');

  it('runs MongoDB with authentication and gives the app a least-privileged user', () => {
    expect(services.mongodb.environment.MONGO_INITDB_ROOT_PASSWORD).toMatch(/^\$\{MONGO_ROOT_PASSWORD:\?/);
    expect(services.mongodb.entrypoint.join(' ')).toContain('--keyFile');
    expect(services.mongodb.volumes.join(' ')).toContain('docker/mongo-init.js');
    const init = readFileSync(path.join(root, 'docker', 'mongo-init.js'), 'utf8');
    expect(init).toContain("roles: [{ role: 'readWrite', db: dbName }]");
    expect(services.api.environment.MONGODB_URI).toMatch(
      /^mongodb:\/\/orders_app:\$\{MONGODB_APP_PASSWORD:\?[^}]*\}@mongodb:27017\/.*authSource=/,
    );
  });

  it('takes every secret from the environment and commits none', () => {
    for (const name of [
      'MONGO_ROOT_PASSWORD',
      'MONGODB_APP_PASSWORD',
      'TEMPORAL_DB_PASSWORD',
      'API_KEYS',
      'PAYLOAD_KEYS',
      'BLIND_INDEX_KEY',
    ]) {
      expect(raw, name).toMatch(new RegExp(`\\$\\{${name}:\\?`));
      expect(raw, `${name} has no default`).not.toMatch(new RegExp(`\\$\\{${name}:-`));
    }
    expect(services.postgresql.environment.POSTGRES_PASSWORD).toMatch(/^\$\{TEMPORAL_DB_PASSWORD:\?/);
    const example = readFileSync(path.join(root, '.env.example'), 'utf8');
    expect(example).toMatch(/^PAYLOAD_KEYS=$/m);
    expect(example).toMatch(/^BLIND_INDEX_KEY=$/m);
    expect(example).toMatch(/^API_KEYS=$/m);
  });
});
