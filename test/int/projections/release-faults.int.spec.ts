import { afterEach, describe, expect, it } from 'vitest';
import { accountsProjection } from '../../../readside/projections';
import { projectionState } from '../../../readside/projections/generations';
import { allCaughtUp, contents, freshRebuild } from '../../helpers/projections';
import { fastSaga, useSagaStack } from '../../helpers/saga';
import { dataOf } from '../../../api/client';
import { apiOf, type Stack } from '../../helpers/stack';
import { faultsOf, type FaultSpec } from '../../helpers/faults';
import { openProjectionLetterAt } from '../../helpers/dead-letters';
import { waitFor } from '../../helpers/wait-for';

/**
 * Releasing a stream (a redrive or a discard of its dead letter) applies the events that waited
 * behind it. While the read model's store fails, those applies fail too: they must be held as a
 * systemic failure, like live events, never parked as new dead letters.
 */
const accountsCheckpoint = async (stack: Stack) => {
  const state = await projectionState(stack.mongo.db, 'accounts');
  return stack.mongo.db
    .collection<{ _id: string; failures?: number; stalledSince?: Date | null }>('checkpoints')
    .findOne({ _id: `projection:accounts:g${state.active}` });
};
const accountLetterIds = async (stack: Stack) =>
  (
    await stack.mongo.db
      .collection<{ _id: string }>('dead_letters')
      .find({ source: 'projection', service: 'accounts' }, { projection: { _id: 1 } })
      .toArray()
  )
    .map((d) => d._id)
    .sort();
const parkedOf = (stack: Stack, accountId: string) =>
  stack.mongo.db.collection('parked_events').countDocuments({ streamId: `account-${accountId}` });
const deadLetter = (id: string) => ({ params: { path: { id } } });
const letterStatus = async (stack: Stack, id: string) =>
  (await apiOf(stack).GET('/dead-letters/{id}', deadLetter(id))).data?.status;
const accountRow = async (stack: Stack, accountId: string) =>
  (await apiOf(stack).GET('/accounts', { params: { query: { limit: 200 } } })).data?.accounts.find(
    (a) => a.accountId === accountId,
  );
const faults = (stack: Stack) => faultsOf(apiOf(stack));
const redrive = (stack: Stack, id: string) => apiOf(stack).POST('/dead-letters/{id}/redrive', deadLetter(id));
const discard = (stack: Stack, id: string) => apiOf(stack).DELETE('/dead-letters/{id}', deadLetter(id));

type Harness = ReturnType<typeof useSagaStack>;

/**
 * Each case gets a system and a database of its own: the park breaker remembers a minute of parks
 * per projection, and the poison events of earlier cases would make a third stream's be held.
 */
function useReleaseStack(): Harness {
  const t = useSagaStack({ ...fastSaga, PROJECTION_STALL_AFTER: 3_000 });
  // A test that fails half-way must not leave its fault behind.
  afterEach(() => faults(t.stack).clear('projection:accounts'));
  return t;
}

/** An account whose deposit of 10 is a real poison event (parked), with a withdrawal of 100 and a deposit of 1 waiting behind it. */
async function poisonWithTwoWaiting(t: Harness) {
  const accountId = await t.h.openAccount(1_000);
  await allCaughtUp(t.stack);
  const api = apiOf(t.stack);
  const account = { params: { path: { id: accountId } } };
  await faults(t.stack).inject('projection:accounts', { mode: 'error', streamId: `account-${accountId}` });
  const bad = await dataOf(api.POST('/accounts/{id}/deposits', { ...account, body: { amount: 10 } }));
  const letter = await waitFor('the poison event to be parked', () => openProjectionLetterAt(api, bad.position));
  await dataOf(api.POST('/accounts/{id}/withdrawals', { ...account, body: { amount: 100 } }));
  await dataOf(api.POST('/accounts/{id}/deposits', { ...account, body: { amount: 1 } }));
  await expect
    .poll(() => parkedOf(t.stack, accountId), { message: 'two events to wait behind it', timeout: 20_000 })
    .toBe(2);
  return { accountId, letterId: letter.id };
}

/**
 * With the collection fault on and the release requested: the release is held as a systemic
 * failure (the projection stalls) rather than parking anything, and keeps being retried.
 */
async function expectHeldWhileFaulty(
  t: Harness,
  accountId: string,
  letterId: string,
  lettersBefore: string[],
  pendingStatus: string,
) {
  const decided = await waitFor(
    'the release under the fault to be decided',
    async () => {
      if ((await accountLetterIds(t.stack)).length > lettersBefore.length) return 'parked as a new dead letter';
      if ((await letterStatus(t.stack, letterId)) === 'open') return 'dead letter reopened';
      return (await accountsCheckpoint(t.stack))?.stalledSince ? 'held as systemic' : undefined;
    },
    30_000,
  );
  expect(decided).toBe('held as systemic');
  // Still retried, and still nothing parked, a few attempts later.
  const failures = (await accountsCheckpoint(t.stack))?.failures ?? 0;
  await waitFor(
    'more attempts under the fault',
    async () => ((await accountsCheckpoint(t.stack))?.failures ?? 0) >= failures + 2,
    30_000,
  );
  expect(await accountLetterIds(t.stack)).toEqual(lettersBefore);
  expect(await letterStatus(t.stack, letterId)).toBe(pendingStatus);
  expect(await parkedOf(t.stack, accountId)).toBe(2);
}

describe('redriving a dead letter while its read-model collection fails', () => {
  const t = useReleaseStack();

  it('a redrive during the fault parks nothing; after it clears, the redriven event and those behind it are applied and the read model equals a rebuild', async () => {
    const { accountId, letterId } = await poisonWithTwoWaiting(t);
    const lettersBefore = await accountLetterIds(t.stack);
    // The stream's fault gives way to one of the read model's collection.
    expect(
      (await faults(t.stack).inject('projection:accounts', { mode: 'error', collection: 'accounts' })).response.status,
    ).toBe(200);
    expect((await redrive(t.stack, letterId)).response.status).toBe(202);

    await expectHeldWhileFaulty(t, accountId, letterId, lettersBefore, 'redrive-requested');

    expect((await faults(t.stack).clear('projection:accounts')).response.status).toBe(204);
    await expect
      .poll(() => letterStatus(t.stack, letterId), { message: 'the redrive to be carried out', timeout: 30_000 })
      .toBe('redriven');
    const row = await waitFor(
      'the stream to be applied',
      async () => {
        const r = await accountRow(t.stack, accountId);
        return r?.version === 4 ? r : undefined;
      },
      30_000,
    );
    expect(row.balance).toBe(1_000 + 10 - 100 + 1);
    expect(await parkedOf(t.stack, accountId)).toBe(0);
    expect(await accountLetterIds(t.stack)).toEqual(lettersBefore);
    expect((await accountsCheckpoint(t.stack))?.stalledSince ?? null).toBeNull();
    await allCaughtUp(t.stack);
    const state = await projectionState(t.stack.mongo.db, 'accounts');
    expect(await contents(t.stack.mongo.db, accountsProjection, state.active)).toEqual(
      await freshRebuild(t.stack.mongo.db, accountsProjection),
    );
  }, 120_000);

  it('a redrive of an event that is still poison, with the store healthy, opens its dead letter again and keeps the stream blocked', async () => {
    const { accountId, letterId } = await poisonWithTwoWaiting(t);
    const lettersBefore = await accountLetterIds(t.stack);
    // The stream's own fault is still on: the redriven event fails while the probes succeed.
    expect((await redrive(t.stack, letterId)).response.status).toBe(202);
    const letter = await waitFor(
      'the dead letter to be open again',
      async () => {
        const body = await dataOf(apiOf(t.stack).GET('/dead-letters/{id}', deadLetter(letterId)));
        return body.status === 'open' ? body : undefined;
      },
      30_000,
    );
    // Every attempt is counted: the first round's and the redrive's.
    expect(letter.attempts).toBeGreaterThan(5);
    expect(await accountLetterIds(t.stack)).toEqual(lettersBefore);
    expect(await parkedOf(t.stack, accountId)).toBe(2);
    expect(await accountRow(t.stack, accountId)).toMatchObject({ balance: 1_000, version: 1 });
  }, 60_000);
});

describe('discarding a dead letter while its read-model collection fails', () => {
  const t = useReleaseStack();

  it('a discard during the fault parks nothing; after it clears, the events behind it are applied in order', async () => {
    const { accountId, letterId } = await poisonWithTwoWaiting(t);
    const lettersBefore = await accountLetterIds(t.stack);
    expect(
      (await faults(t.stack).inject('projection:accounts', { mode: 'error', collection: 'accounts' })).response.status,
    ).toBe(200);
    expect((await discard(t.stack, letterId)).response.status).toBe(202);
    await expect
      .poll(() => letterStatus(t.stack, letterId), { message: 'the discard to be carried out', timeout: 30_000 })
      .toBe('discarded');

    await expectHeldWhileFaulty(t, accountId, letterId, lettersBefore, 'discarded');

    expect((await faults(t.stack).clear('projection:accounts')).response.status).toBe(204);
    const row = await waitFor(
      'the events behind the discarded one to be applied',
      async () => {
        const r = await accountRow(t.stack, accountId);
        return r?.version === 4 ? r : undefined;
      },
      30_000,
    );
    // The discarded deposit of 10 is missing on purpose.
    expect(row.balance).toBe(1_000 - 100 + 1);
    expect(await parkedOf(t.stack, accountId)).toBe(0);
    expect(await accountLetterIds(t.stack)).toEqual(lettersBefore);
    await allCaughtUp(t.stack);
    expect((await accountsCheckpoint(t.stack))?.stalledSince ?? null).toBeNull();
  }, 120_000);
});

describe('redriving a dead letter while its read-model collection flaps', () => {
  const t = useReleaseStack();

  it('a redrive while the collection flaps (3 s failing, 1 s working) parks nothing, and the stream is whole once it stops', async () => {
    const { accountId, letterId } = await poisonWithTwoWaiting(t);
    const lettersBefore = await accountLetterIds(t.stack);
    const failuresBefore = (await accountsCheckpoint(t.stack))?.failures ?? 0;
    const flapping: FaultSpec = {
      mode: 'error',
      collection: 'accounts',
      flap: { failingMs: 3_000, workingMs: 1_000 },
      durationMs: 12_000,
    };
    expect((await faults(t.stack).inject('projection:accounts', flapping)).response.status).toBe(200);
    const flapsEnd = Date.now() + 12_000;
    expect((await redrive(t.stack, letterId)).response.status).toBe(202);

    const outcome = await waitFor(
      'the stream to be applied or an event parked',
      async () => {
        if ((await accountLetterIds(t.stack)).length > lettersBefore.length) return 'parked as a new dead letter';
        if ((await letterStatus(t.stack, letterId)) === 'open') return 'dead letter reopened';
        return (await accountRow(t.stack, accountId))?.version === 4 ? 'applied' : undefined;
      },
      40_000,
    );
    expect(outcome).toBe('applied');
    expect((await accountRow(t.stack, accountId))?.balance).toBe(1_000 + 10 - 100 + 1);
    await waitFor('the flapping to end', () => Date.now() >= flapsEnd, 20_000);
    expect((await faults(t.stack).clear('projection:accounts')).response.status).toBe(204);
    expect(await letterStatus(t.stack, letterId)).toBe('redriven');
    expect(await parkedOf(t.stack, accountId)).toBe(0);
    expect(await accountLetterIds(t.stack)).toEqual(lettersBefore);
    // The flaps did strike the release's writes.
    expect((await accountsCheckpoint(t.stack))?.failures ?? 0).toBeGreaterThan(failuresBefore);
  }, 120_000);
});
