import { EventEmitter } from 'node:events';
import { asyncLocalStorage, type Context } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import { ACTIVITY_STEPS } from '../../../domain/orders/steps';
import {
  activityStep,
  BREAKERS_STEP,
  classify,
  commandRows,
  commandsByStep,
  commandsPerProcess,
  createCommandCounter,
  GROUP_COMMIT_ROW,
  OUTSIDE_ROW,
  processTotal,
  since,
  stepsTotal,
  type StartedCommand,
} from '../../../bench/lib/command-count';
import { commandGoals, commandsSection } from '../../../bench/lib/render-commands';

const find = (collection: string): StartedCommand => ({
  commandName: 'find',
  command: { find: collection, filter: {} },
});
const insert = (collection: string): StartedCommand => ({
  commandName: 'insert',
  command: { insert: collection, documents: [{}] },
});
const findAndModify = (collection: string): StartedCommand => ({
  commandName: 'findAndModify',
  command: { findAndModify: collection },
});
const getMore = (collection: string): StartedCommand => ({
  commandName: 'getMore',
  command: { getMore: 1, collection },
});
const endSessions: StartedCommand = { commandName: 'endSessions', command: { endSessions: [] } };

/** Runs `fn` as the Temporal SDK runs an activity: inside the activity context's AsyncLocalStorage. */
const inActivity = <T>(activityType: string, fn: () => T): T =>
  asyncLocalStorage.run({ info: { activityType } } as unknown as Context, fn);

/** What one saga's worker starts, emitted from inside each activity's context (and one from a timer). */
function emitOneSaga(client: EventEmitter) {
  const emit = (c: StartedCommand) => client.emit('commandStarted', c);
  inActivity('createOrder', () =>
    [find('events'), findAndModify('counters'), insert('events'), insert('orders')].forEach(emit),
  );
  inActivity('processPayment', () => [find('events'), insert('events'), insert('payments')].forEach(emit));
  inActivity('reserveItems', () => [findAndModify('inventory'), insert('events')].forEach(emit));
  inActivity('scheduleShipment', () => [insert('shipments'), insert('events')].forEach(emit));
  inActivity('completeOrder', () => [find('orders'), insert('events')].forEach(emit));
}

describe('bench MongoDB command counting', () => {
  it('totals each process over every step, per unit of work', () => {
    const counter = createCommandCounter();
    const worker = new EventEmitter();
    const api = new EventEmitter();
    counter.watch('worker', worker, activityStep);
    counter.watch('api', api);
    const before = counter.snapshot();
    for (let get = 0; get < 4; get++)
      [find('subject_keys'), find('orders_v1')].forEach((c) => api.emit('commandStarted', c));
    api.emit('commandStarted', find('projection_state'));
    inActivity('createOrder', () => worker.emit('commandStarted', insert('events')));
    worker.emit('commandStarted', endSessions);
    const tallies = since(counter.snapshot(), before);
    expect(commandsPerProcess(tallies, 4)).toEqual({ api: 2.25, worker: 0.5 });
    expect(commandsPerProcess(since(counter.snapshot(), counter.snapshot()), 4)).toEqual({});
    expect(commandsPerProcess(tallies, 0).api).toBeNaN();
  });

  it("counts the circuit breakers' commands apart from the step that started them, at every level", () => {
    const counter = createCommandCounter();
    const client = new EventEmitter();
    counter.watch('worker', client, activityStep);
    const emit = (c: StartedCommand) => client.emit('commandStarted', c);
    inActivity('processPayment', () =>
      [
        { commandName: 'find', command: { find: 'events', filter: { streamId: 'breaker-payment' } } },
        findAndModify('breaker_windows'),
        { commandName: 'find', command: { find: 'events', filter: { streamId: 'account-1' } } },
        findAndModify('counters'),
        insert('events'),
      ].forEach(emit),
    );
    inActivity('scheduleShipment', () =>
      [{ commandName: 'insert', command: { insert: 'events', documents: [{ streamId: 'breaker-shipping' }] } }].forEach(
        emit,
      ),
    );
    const level = { sagas: 1, tallies: counter.snapshot() };
    for (const groupCommitShared of [false, true]) {
      const rows = commandRows(level, { groupCommitShared });
      expect(rows.find((r) => r.step === BREAKERS_STEP)?.perSaga).toBe(3);
      expect(processTotal(rows, 'worker')).toBe(6);
      expect(stepsTotal(rows)).toBe(3);
    }
    expect(commandRows(level, { groupCommitShared: false }).find((r) => r.step === 'processPayment')?.perSaga).toBe(3);
    expect(commandRows(level, { groupCommitShared: false }).some((r) => r.step === 'scheduleShipment')).toBe(false);
  });

  it('classifies reads, writes and the rest', () => {
    expect(['find', 'aggregate', 'getMore'].map(classify)).toEqual(['read', 'read', 'read']);
    expect(['insert', 'update', 'findAndModify', 'delete'].map(classify)).toEqual(['write', 'write', 'write', 'write']);
    expect(['killCursors', 'endSessions', 'createIndexes'].map(classify)).toEqual(['other', 'other', 'other']);
  });

  it('credits each worker command to the activity whose context started it, and a command outside any activity to no step', async () => {
    const counter = createCommandCounter();
    const worker = new EventEmitter();
    counter.watch('worker', worker, activityStep);
    // Through an await and a timer started inside the activity, the context is still the activity's.
    await inActivity('reserveItems', async () => {
      await new Promise((r) => setTimeout(r, 1));
      worker.emit('commandStarted', find('inventory'));
    });
    worker.emit('commandStarted', insert('inventory'));
    const worker0 = counter.snapshot().worker!;
    expect(worker0.reserveItems!.own).toEqual({ reads: 1, writes: 0, other: 0 });
    expect(worker0['']!.own).toEqual({ reads: 0, writes: 1, other: 0 });
  });

  it('splits the worker per step, exactly at C=1, and reports the API and the read side apart', () => {
    const counter = createCommandCounter();
    const worker = new EventEmitter();
    const api = new EventEmitter();
    const readSide = new EventEmitter();
    counter.watch('worker', worker, activityStep);
    counter.watch('api', api);
    counter.watch('read side', readSide);
    // Before the measured window: not counted.
    inActivity('createOrder', () => worker.emit('commandStarted', insert('orders')));
    inActivity('lookupCustomer', () => worker.emit('commandStarted', find('customers')));
    const before = counter.snapshot();

    for (let saga = 0; saga < 4; saga++) {
      emitOneSaga(worker);
      // The API reads the idempotency record and writes it; the bench's GET reads the read model.
      [find('idempotency'), insert('idempotency'), find('orders_v1')].forEach((c) => api.emit('commandStarted', c));
      // An activity context current in the API process is not the API's business: it counts as the API's.
      inActivity('createOrder', () => api.emit('commandStarted', endSessions));
      [getMore('events'), getMore('events'), insert('orders_v1')].forEach((c) => readSide.emit('commandStarted', c));
    }
    worker.emit('commandStarted', findAndModify('inventory')); // the pruning timer, once in four sagas

    const rows = commandRows({ sagas: 4, tallies: since(counter.snapshot(), before) }, { groupCommitShared: false });
    const byStep = Object.fromEntries(
      rows.map((r) => [`${r.process}/${r.step}`, [r.perSaga, r.reads, r.writes, r.other, r.eventStore]]),
    );
    expect(byStep).toEqual({
      'worker/createOrder': [4, 1, 3, 0, 3],
      'worker/processPayment': [3, 1, 2, 0, 2],
      'worker/reserveItems': [2, 0, 2, 0, 1],
      'worker/scheduleShipment': [2, 0, 2, 0, 1],
      'worker/completeOrder': [2, 1, 1, 0, 1],
      [`worker/${OUTSIDE_ROW}`]: [0.25, 0, 0.25, 0, 0],
      'api/all': [4, 2, 1, 1, 0],
      'read side/all': [3, 2, 1, 0, 2],
    });
    // The saga's order, then what ran outside any activity.
    expect(rows.filter((r) => r.process === 'worker').map((r) => r.step)).toEqual([...ACTIVITY_STEPS, OUTSIDE_ROW]);
    expect(processTotal(rows, 'worker')).toBe(13.25);
    // What each step's commands are, per saga; the lookup seen only before the window is not there.
    const detail = commandsByStep({ sagas: 4, tallies: since(counter.snapshot(), before) });
    expect(detail.map((d) => d.step)).toEqual([...ACTIVITY_STEPS, OUTSIDE_ROW, 'api', 'read side']);
    expect(detail[0]!.commands).toEqual([
      ['find events', 1],
      ['findAndModify counters', 1],
      ['insert events', 1],
      ['insert orders', 1],
    ]);
    expect(detail[5]!.commands).toEqual([['findAndModify inventory', 0.25]]);
    expect(detail[6]!.commands).toEqual([
      ['endSessions', 1],
      ['find idempotency', 1],
      ['find orders_v1', 1],
      ['insert idempotency', 1],
    ]);
    expect(detail[7]!.commands).toEqual([
      ['getMore events', 2],
      ['insert orders_v1', 1],
    ]);
    expect(processTotal(rows, 'api')).toBe(4);
    expect(processTotal(rows, 'read side')).toBe(3);
  });

  it('moves the event store commands to a group commit row when sagas run concurrently, keeping the total', () => {
    const counter = createCommandCounter();
    const worker = new EventEmitter();
    counter.watch('worker', worker, activityStep);
    emitOneSaga(worker);
    emitOneSaga(worker);
    const level = { sagas: 2, tallies: counter.snapshot() };
    const shared = commandRows(level, { groupCommitShared: true });
    const exact = commandRows(level, { groupCommitShared: false });
    const step = (rows: typeof shared, name: string) => rows.find((r) => r.step === name);
    expect(step(shared, 'createOrder')).toMatchObject({ perSaga: 1, reads: 0, writes: 1, eventStore: 0 });
    expect(step(shared, 'completeOrder')).toMatchObject({ perSaga: 1, reads: 1, writes: 0 });
    // events: 2 finds + 5 inserts; counters: 1 findAndModify.
    expect(step(shared, GROUP_COMMIT_ROW)).toMatchObject({ perSaga: 8, reads: 2, writes: 6, other: 0, eventStore: 8 });
    expect(step(exact, GROUP_COMMIT_ROW)).toBeUndefined();
    expect(processTotal(shared, 'worker')).toBe(13);
    expect(processTotal(exact, 'worker')).toBe(13);
  });

  it('judges the worker total against the goal of 13 commands per saga and renders one table per shown level', () => {
    const counter = createCommandCounter();
    const worker = new EventEmitter();
    counter.watch('worker', worker, activityStep);
    emitOneSaga(worker);
    const c1 = { concurrency: 1, commands: { sagas: 1, tallies: counter.snapshot() } };
    emitOneSaga(worker);
    const c16 = { concurrency: 16, commands: { sagas: 1, tallies: counter.snapshot() } };
    const goals = commandGoals([c1, { concurrency: 4, commands: c1.commands }, c16]);
    expect(goals.map((g) => [g.metric, g.ours, g.met])).toEqual([
      ["MongoDB commands of the worker's steps per saga at C=1 (the circuit breakers' apart: 0.00)", '13.00', true],
      ["MongoDB commands of the worker's steps per saga at C=16 (the circuit breakers' apart: 0.00)", '26.00', false],
    ]);
    const section = commandsSection([c1, c16]);
    expect(section).toContain('| createOrder | 4.00 | 1.00 / 3.00 / 0.00 | 3.00 |');
    expect(section).toContain('| **worker, every step** (goal ≤ 13) | **13.00** (met) |  |  |');
    expect(section).toContain(`| ${GROUP_COMMIT_ROW} | 16.00 | 4.00 / 12.00 / 0.00 | 16.00 |`);
    expect(section).toContain('| completeOrder | find orders × 1, insert events × 1 |');
    expect(section.split('\n').every((line) => line.length < 1000)).toBe(true);
  });
});
