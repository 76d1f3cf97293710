/**
 * A worker that dies (SIGKILL) right after createOrder's effect, before the local activity's
 * result reaches the server: the saga's workflow task is left open, with no marker recorded.
 * Run as a child process by local-order-steps.workflow.spec.ts:
 *   tsx crashing-worker.ts <temporal address> <task queue> <mongodb uri> <database>
 */
import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { MongoClient } from 'mongodb';
import { workerActivities } from '../../../composition';

async function main() {
  const [address, taskQueue, uri, database] = process.argv.slice(2) as [string, string, string, string];
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const mongo = await new MongoClient(uri).connect();
  const activities = workerActivities({ db: mongo.db(database) });
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address }),
    taskQueue,
    workflowsPath: path.resolve(__dirname, '..', '..', '..', 'workflows', 'index.ts'),
    activities: {
      ...activities,
      createOrder: async (input: Parameters<typeof activities.createOrder>[0]) => {
        await activities.createOrder(input);
        process.kill(process.pid, 'SIGKILL');
        return new Promise<never>(() => {});
      },
    },
  });
  console.log('ready');
  await worker.run();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
