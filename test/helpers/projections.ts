import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Db } from 'mongodb';
import { createEventStore } from '../../eventstore';
import { createFaults } from '../../infra/faults';
import { createLogger } from '../../infra/logger';
import { projections } from '../../readside/projections';
import { projectionState } from '../../readside/projections/generations';
import { generationContents, rebuildScratch } from '../../readside/projections/verify';
import type { Projection } from '../../readside/projections/types';
import type { Stack } from './stack';
import { waitFor } from './wait-for';

const root = path.resolve(__dirname, '..', '..');

/**
 * The real projector process (readside/main.ts), as npm start runs it. Its health endpoint is off
 * unless `env` gives it a port: several test files may run projectors at once.
 */
export async function startProjectorProcess(stack: Stack, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'readside', 'main.ts')], {
    env: {
      ...process.env,
      MONGODB_URI: stack.config.MONGODB_URI,
      MONGODB_DB: stack.config.MONGODB_DB,
      LOG_LEVEL: 'error',
      PROJECTOR_HEALTH_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`projector exited early (${code})`)));
  });
  return child;
}

/** Documents of one logical collection without the per-document bookkeeping, sorted by id. */
export const contents = generationContents;

/** A full rebuild from position 0 into a scratch generation, in this process: the reference every live read model must equal. */
export async function freshRebuild(db: Db, projection: Projection) {
  return rebuildScratch(
    projection,
    { db, store: createEventStore(db), faults: createFaults(db), log: createLogger('rebuild-test', 'silent') },
    { timeoutMs: 60_000 },
  );
}

/** Waits until every projection's active generation has applied the whole log. */
export async function allCaughtUp(stack: Stack, timeoutMs = 30_000) {
  const store = createEventStore(stack.mongo.db);
  const head = await store.headPosition();
  await waitFor(
    'all projections to catch up',
    async () => {
      for (const p of projections) {
        const state = await projectionState(stack.mongo.db, p.name);
        const cp = await stack.mongo.db
          .collection('checkpoints')
          .findOne({ _id: `projection:${p.name}:g${state.active}` as never });
        if ((cp?.position ?? 0) < head) return false;
      }
      return true;
    },
    timeoutMs,
  );
}
