import type { CommandStartedEvent, CommandSucceededEvent } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { withCommandMonitoring } from '../../../bench/lib/stack';
import { masterKeysFor, openDatabase, readSideParts, workerActivities } from '../../../composition';
import { createLogger } from '../../../infra/logger';
import type { Mongo } from '../../../infra/mongo';
import { startConsumers } from '../../../readside';
import { createWorker, runWorker } from '../../../workers/worker';
import { address, fastSaga, sagaHelpers } from '../../helpers/saga';
import { apiOf, startStack, type Stack } from '../../helpers/stack';
import { waitFor } from '../../helpers/wait-for';

/**
 * What one order costs the API and the read side in MongoDB commands, counted with the driver's
 * command monitor on each process's own client, as `npm start` runs them (the worker's are pinned
 * by service-commands.int.spec.ts). Orders run one at a time, as the bench's C=1 level runs them.
 * The API's figures are exact; the read side's include what it does on timers while a saga runs
 * (lease renewals, the projector's tick, operator requests), so they are bounded, not pinned.
 */
describe('MongoDB commands per order in the API and on the read side', () => {
  let stack: Stack;
  let workerMongo: Mongo;
  let readMongo: Mongo;
  let testMongo: Mongo;
  let stopWorker: () => Promise<void>;
  let consumers: Awaited<ReturnType<typeof startConsumers>>;
  let h: ReturnType<typeof sagaHelpers>;
  const api: CommandStartedEvent[] = [];
  const readSide: CommandStartedEvent[] = [];
  /** When each of the read side's commands was answered (performance.now()), by request id. */
  const answeredAt = new Map<number, number>();
  let accountId: string;
  let sku: string;

  const named = (events: CommandStartedEvent[]) =>
    events
      .map((e) => {
        const c = e.command as Record<string, unknown>;
        return `${e.commandName} ${String(e.commandName === 'getMore' ? c.collection : c[e.commandName])}`;
      })
      .sort();
  const tally = (names: string[]) =>
    names.reduce<Record<string, number>>((t, name) => ({ ...t, [name]: (t[name] ?? 0) + 1 }), {});

  beforeAll(async () => {
    // The API's client (the stack's) is monitored; the worker's and the read side's are clients of their own.
    stack = await startStack(
      { ...fastSaga, FAULT_INJECTION: 'off', MONGODB_URI: withCommandMonitoring(inject('mongodbUri')) },
      { worker: false, consumers: false },
    );
    stack.mongo.client.on('commandStarted', (e) => {
      if (e.databaseName === stack.mongo.db.databaseName) api.push(e);
    });
    const log = createLogger('commands', 'silent');
    workerMongo = await openDatabase({ ...stack.config, MONGODB_URI: inject('mongodbUri') });
    const worker = await createWorker({
      connection: stack.nativeConnection,
      config: stack.config,
      db: workerMongo.db,
      activities: workerActivities({ db: workerMongo.db, masterKeys: masterKeysFor(stack.config, log) }),
      log,
    });
    const started = runWorker(worker, {
      connection: stack.nativeConnection,
      config: stack.config,
      db: workerMongo.db,
      log,
    });
    await started.current;
    stopWorker = async () => {
      worker.shutdown();
      await started.running.catch(() => {});
    };
    readMongo = await openDatabase(stack.config);
    readMongo.client.on('commandStarted', (e) => {
      if (e.databaseName === readMongo.db.databaseName) readSide.push(e);
    });
    readMongo.client.on('commandSucceeded', (e: CommandSucceededEvent) =>
      answeredAt.set(e.requestId, performance.now()),
    );
    consumers = await startConsumers({ ...readSideParts(readMongo.db), log }, { faultInjection: false });
    // The test's own reads (the helpers') go through a client that is not counted.
    testMongo = await openDatabase({ ...stack.config, MONGODB_URI: inject('mongodbUri') });
    h = sagaHelpers({ ...stack, mongo: testMongo });
    accountId = await h.openAccount(1_000_000);
    sku = h.unique('SKU');
    await h.stock(sku, 1_000, 100);
    // Warm: the API has seen the account and the customer's key exists; the read models' indexes are made.
    for (let i = 0; i < 2; i++) await placeAndRead();
  }, 180_000);
  afterAll(async () => {
    await consumers?.stop();
    await stopWorker?.();
    await workerMongo?.close();
    await readMongo?.close();
    await testMongo?.close();
    await stack?.stop();
  });

  const customerId = 'counted-customer';
  async function place(): Promise<string> {
    const { orderId } = await h.placeOrder({
      customerId,
      accountId,
      items: [{ sku, quantity: 1 }],
      shippingAddress: address,
    });
    return orderId;
  }
  /** Places an order, waits for its saga, then for every read model and the email to hold it. */
  async function placeAndRead(): Promise<string> {
    const orderId = await place();
    expect((await h.result(orderId)).status).toBe('COMPLETED');
    await waitFor(`order ${orderId} settled on the read side`, async () => {
      const head = await h.store.headPosition();
      const projected = ['orders', 'accounts', 'inventory', 'sales'].every(
        (name) => (consumers.projector.live(name)?.position() ?? -1) >= head,
      );
      // Received and confirmed.
      return projected && (await testMongo.db.collection('emails').countDocuments({ orderId })) >= 2;
    });
    return orderId;
  }

  it('answers POST /orders and GET /orders/:id with the commands listed in docs/order-core-cost.md', async () => {
    api.length = 0;
    const orderId = await place();
    const placing = named(api);
    expect((await h.result(orderId)).status).toBe('COMPLETED');
    await h.orderView(orderId, 'COMPLETED');
    const get = async () => {
      api.length = 0;
      const { response } = await apiOf(stack).GET('/orders/{orderId}', { params: { path: { orderId } } });
      expect(response.status).toBe(200);
      return named(api);
    };
    const first = await get();
    const reading = await get();
    console.log(
      `POST /orders: ${placing.length} (${placing.join(', ')})\nGET /orders/:id: ${first.length}, then ${reading.length} (${reading.join(', ')})`,
    );

    // The catalog's prices and the customer's data key (never cached: an erasure is in force at once).
    expect(placing).toEqual(['find inventory', 'find subject_keys']);
    // Which generation serves reads (read again once what the API saw is a second old), the
    // document (which says how far it has applied the log: no checkpoint), and its key to open it.
    expect(first).toEqual(
      ['find projection_state', 'find rm_orders_orders_g1', 'find subject_keys'].slice(3 - first.length),
    );
    expect(reading).toEqual(['find rm_orders_orders_g1', 'find subject_keys']);
  });

  /**
   * How long the orders view's checkpoint trails its writes: for each event the projection wrote,
   * from the answer to its write to the answer to the first checkpoint write that records its
   * position. Its checkpoint is written lazily (GET /orders/:id answers from the document), so
   * only a list of orders read with minPosition waits for this.
   */
  function checkpointDelays(): number[] {
    type Update = { q: { _id?: string }; u: { $max?: { lastPosition?: number }; $set?: { position?: number } } };
    const updates = (name: string) =>
      readSide
        .filter((e) => e.commandName === 'update' && (e.command as { update?: string }).update === name)
        .map((e) => ({ at: answeredAt.get(e.requestId), statements: (e.command as { updates: Update[] }).updates }));
    const checkpointWrites = updates('checkpoints').flatMap(({ at, statements }) =>
      statements.flatMap((s) =>
        s.q._id === 'projection:orders:g1' && s.u.$set?.position !== undefined && at !== undefined
          ? [{ at, position: s.u.$set.position }]
          : [],
      ),
    );
    return updates('rm_orders_orders_g1').flatMap(({ at, statements }) => {
      const position = Math.max(...statements.map((s) => s.u.$max?.lastPosition ?? -1));
      const written = checkpointWrites.find((c) => c.position >= position);
      return at === undefined || !written ? [] : [written.at - at];
    });
  }

  it('costs the read side at most its budget per saga, run one at a time', async () => {
    const sagas = 10;
    readSide.length = 0;
    const started = Date.now();
    for (let i = 0; i < sagas; i++) await placeAndRead();
    const seconds = (Date.now() - started) / 1000;
    const perSaga = Object.entries(tally(named(readSide)))
      .map(([name, n]): [string, number] => [name, n / sagas])
      .sort((a, b) => b[1] - a[1]);
    const total = readSide.length / sagas;
    console.log(
      `read side, ${sagas} sagas in ${seconds.toFixed(1)} s: ${total.toFixed(2)} commands per saga\n` +
        perSaga.map(([name, n]) => `  ${name} × ${n.toFixed(2)}`).join('\n'),
    );
    const delays = checkpointDelays().sort((a, b) => a - b);
    const at = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))]!.toFixed(1);
    console.log(
      `orders view, ${delays.length} events: from its write's answer to its checkpoint's, p50 ${at(0.5)} ms, max ${at(1)} ms`,
    );
    const of = (name: string) => perSaga.find(([n]) => n === name)?.[1] ?? 0;
    // Checkpoints: every subscription's is lazy. A one-document read answers from the order's
    // document, a list read of one's own write from the documents that write touched
    // (readside/projections/types.ts, documentsHold), so nobody waits for a checkpoint written at
    // once: they go out together (readside/engine/checkpoints.ts, CheckpointBatch) within
    // LAZY_CHECKPOINT_MS, not once per event a subscription handled (3 per saga when accounts,
    // inventory and sales wrote theirs at once).
    expect(of('update checkpoints')).toBeLessThanOrEqual(1.5);
    // The orders view: one command per event of the order (its latest-in-log writes go in the same
    // bulk write), and no read of a new order's document.
    expect(of('update rm_orders_orders_g1')).toBeLessThanOrEqual(5);
    expect(of('find rm_orders_orders_g1')).toBe(0);
    // Operators' requests are looked for only while a projection holds an unresolved dead letter
    // (none here), otherwise every 10 s: at most one look per projection in the window.
    expect(of('find dead_letters') * sagas).toBeLessThanOrEqual(4);
    // The log is read (the head twice) on the idle poll and for holes only, not on a checkpoint's timer.
    expect(of('find counters')).toBeLessThanOrEqual(4);
    // The projector reads every projection's state in one command, once a second while no rebuild
    // or takeover is under way, not on each of its four ticks.
    expect((of('find projection_state') * sagas) / seconds).toBeLessThanOrEqual(3);
  });
});
