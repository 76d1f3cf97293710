import { LRUCache } from 'lru-cache';
import pRetry from 'p-retry';
import { randomUUID } from 'node:crypto';
import {
  DuplicateEventIdError,
  WrongExpectedVersionError,
  type AggregateResult,
  type AppendMetadata,
  type AppendRequest,
  type AppendResult,
  type EventStore,
  type Evolver,
  type StoredEvent,
} from '../../eventstore';
import { decide, evolve, initialState } from './decider';
import { keyedLanes } from './lanes';
import type { AccountCommand, AccountState, RecordedAccountEvent } from './events';

/** How many accounts' latest folds a process keeps (see `createAccountService`). */
const MAX_REMEMBERED = 10_000;

type Fold = AggregateResult<AccountState>;

/** What a decision made on a fold that may be behind the stream comes to when the stream says otherwise. */
const BEHIND = Symbol('behind');

/** The fold of an account whose stream holds nothing yet (what a process assumes of one it has not seen). */
const emptyFold = (): Fold => ({
  state: initialState(),
  version: 0,
  position: null,
  timestamp: null,
  snapshotVersion: null,
  eventsFolded: 0,
});

export const ACCOUNT_STREAM_TYPE = 'account';
export const accountStreamId = (accountId: string) => `account-${accountId}`;

export const accountEvolver: Evolver<AccountState> = {
  initialState,
  evolve: (state, event) => evolve(state, event as unknown as RecordedAccountEvent),
  // 2: the state gained customerId; 3: and the holder's pseudonym. Snapshots of an older version
  // are ignored and the fold runs again.
  snapshotSchemaVersion: 3,
};

/** An account as callers see it, at its latest version or at a point in its past. */
export interface AccountView {
  accountId: string;
  owner: string;
  /** The holder: the customer who may see and pay with the account (null: operators only). */
  customerId: string | null;
  /** The holder's pseudonym (what ownership checks compare); null without a holder. */
  customer: string | null;
  balance: number;
  version: number;
  /** Global position of the account's last event (read models can wait until they have seen it). */
  position: number;
  openedAt: string | null;
  updatedAt: string | null;
}

export interface CommandOptions {
  /**
   * Makes the command idempotent: a repeat with the same id writes nothing and answers with the
   * account as the first run left it. The saga passes ids derived from the order and the step.
   */
  eventId?: string;
  /** Refuse (WrongExpectedVersionError) unless the account is at this version. Without it, conflicts are retried. */
  expectedVersion?: number;
  /** Correlation and causation ids, and the Temporal workflow/activity when called from one. */
  metadata?: AppendMetadata;
  /**
   * An append to another stream that is to follow the command's own, written in the same write
   * when it can (`EventStore.appendPair`): never without the command's events. `written` receives
   * each attempt's outcome of it; the last one counts. A command answered without appending (a
   * repeat, a refusal) leaves the last outcome failed, and the caller appends it on its own.
   */
  together?: { request: AppendRequest; written(outcome: Promise<AppendResult>): void };
}

export interface AccountServiceDeps {
  store: EventStore;
  /** Snapshot the account every N events (on read). */
  snapshotEvery?: number;
  /** How often a command is re-decided after losing a race to a concurrent one. */
  maxAttempts?: number;
}

/**
 * The application service: let the decider decide on the account as this process last saw it,
 * append with the version it decided on. Used by the HTTP API and, through activities, by the
 * order saga's payment step.
 */
export function createAccountService({ store, snapshotEvery = 100, maxAttempts = 100 }: AccountServiceDeps) {
  // The latest fold of each account this process has seen. Events never change, so a kept fold is
  // always a true prefix of its stream: a command decides on it without reading (the append's
  // expected version refuses it if the stream moved on), and loading the account again reads only
  // the events after it, in one round trip, instead of the snapshot and then the events after it.
  const folds = new LRUCache<string, Fold>({ max: MAX_REMEMBERED });
  const remember = (accountId: string, fold: Fold) => {
    const known = folds.get(accountId);
    if (!known || known.version <= fold.version) folds.set(accountId, fold);
  };

  async function load(accountId: string, at: { until?: Date; toVersion?: number } = {}) {
    const timeTravel = at.until !== undefined || at.toVersion !== undefined;
    if (timeTravel) return store.aggregateStream(accountStreamId(accountId), accountEvolver, at);
    const loaded = await store.aggregateStream(accountStreamId(accountId), accountEvolver, {
      snapshotEvery,
      from: folds.get(accountId),
    });
    remember(accountId, loaded);
    return loaded;
  }

  async function viewAtVersion(accountId: string, version: number): Promise<AccountView> {
    const loaded = await load(accountId, { toVersion: version });
    return toView(accountId, loaded.state, loaded.version, loaded.position);
  }

  // Commands on one account run one after another in this process, each deciding on the fold the
  // one before it left, so its append expects the version that one wrote and goes through at once.
  // Run side by side, they would all decide on the same fold and all but one be refused by the
  // append, re-read the stream and decide again: n concurrent debits of one account cost about
  // n²/2 appends and reads instead of n, enough under load to run a payment out of its time. Only
  // another process's writes still make a command re-read (what follows its fold) and decide again.
  const lanes = keyedLanes();
  const execute = (accountId: string, command: AccountCommand, options: CommandOptions) =>
    lanes.run(accountId, () => executeNow(accountId, command, options));

  async function executeNow(accountId: string, command: AccountCommand, options: CommandOptions): Promise<AccountView> {
    const streamId = accountStreamId(accountId);
    /** The account as an earlier run of the same command left it, if one already wrote its event. */
    const earlierRun = async (): Promise<AccountView | null> => {
      if (!options.eventId) return null;
      const earlier = await store.findEvent(options.eventId);
      if (!earlier) return null;
      if (earlier.streamId !== streamId) {
        throw new DuplicateEventIdError(
          streamId,
          [options.eventId],
          [],
          `event id ${options.eventId} already belongs to stream ${earlier.streamId}`,
        );
      }
      return viewAtVersion(accountId, earlier.version);
    };
    /** A refusal decided on the stream as read during this command is the answer, unless the command already ran. */
    const refuse = async (err: unknown): Promise<AccountView> => {
      const done = await earlierRun();
      if (done) return done;
      throw err;
    };
    // A repeat of a command that already ran (a retried activity, or its twin still running) is
    // answered by the append itself, which finds the event id in the log and returns what the first
    // run wrote. Only where the repeat is refused before it appends (the version it expects, or a
    // rule that the first run's own event now breaks) is the log asked first.
    //
    // `current` is the fold to decide on and `fresh` says whether it was read during this command.
    // A fold from memory (or the empty fold of an account this process has not seen) may be behind
    // the stream: the append's expected version refuses a decision made on it, and it is never
    // trusted to refuse. Either way the events after it are read and the command decided again.
    const attempt = async (current: Fold, fresh: boolean): Promise<AccountView> => {
      for (;;) {
        const outcome = await decideAndAppend(current, fresh);
        if (outcome !== BEHIND) return outcome;
        current = await load(accountId);
        fresh = true;
      }
    };
    const decideAndAppend = async (current: Fold, fresh: boolean): Promise<AccountView | typeof BEHIND> => {
      // An account that does not exist is "not found" whatever version the caller expected.
      if (options.expectedVersion !== undefined && current.version > 0 && options.expectedVersion !== current.version) {
        if (!fresh) return BEHIND;
        return refuse(new WrongExpectedVersionError(streamId, options.expectedVersion, current.version));
      }
      let events: ReturnType<typeof decide>;
      try {
        events = decide(command, current.state);
      } catch (err) {
        if (!fresh) return BEHIND;
        // A rule the twin's own event now breaks (its debit emptied the balance) is no refusal.
        return refuse(err);
      }
      let result: AppendResult;
      try {
        const own = {
          streamId,
          events: events.map((e, i) => ({
            ...e,
            eventId: options.eventId && (i === 0 ? options.eventId : `${options.eventId}:${i}`),
          })),
          options: {
            streamType: ACCOUNT_STREAM_TYPE,
            expectedVersion: current.version === 0 ? ('no_stream' as const) : current.version,
            metadata: options.metadata,
          },
        };
        if (options.together) {
          const pair = store.appendPair(own, options.together.request);
          pair.second.catch(() => undefined);
          options.together.written(pair.second);
          result = await pair.first;
        } else result = await store.append(own.streamId, own.events, own.options);
      } catch (err) {
        if (err instanceof WrongExpectedVersionError && !fresh) return BEHIND;
        throw err;
      }
      // Usually the events just written; after a race with an identical retry, the ones it wrote.
      if (result.events[0]!.version === current.version + 1) {
        const state = result.events.reduce((s, e) => accountEvolver.evolve(s, e), current.state);
        const last = result.events.at(-1)!;
        const next: Fold = {
          ...current,
          state,
          version: result.nextExpectedVersion,
          position: result.lastPosition,
          timestamp: last.metadata.timestamp,
          eventsFolded: 0,
        };
        remember(accountId, next);
        await snapshotIfDue(accountId, next);
        return toView(accountId, state, result.nextExpectedVersion, result.lastPosition);
      }
      return viewAtVersion(accountId, result.nextExpectedVersion);
    };
    // Someone else appended between this command's read and its append: decide again on the new
    // state, after a short random pause so a crowd of retries does not collide in lockstep. Only
    // that is retried, and only when the caller did not pin a version; everything else is the answer.
    let tries = 0;
    return pRetry(
      () =>
        (tries++ === 0
          ? attempt(folds.get(accountId) ?? emptyFold(), false)
          : load(accountId).then((fold) => attempt(fold, true))
        ).catch((err: unknown) => {
          const conflict = err instanceof WrongExpectedVersionError && options.expectedVersion === undefined;
          throw conflict ? err : new pRetry.AbortError(err as Error);
        }),
      { retries: maxAttempts - 1, minTimeout: 1, factor: 2, maxTimeout: 20, randomize: true },
    );
  }

  /**
   * Commands decide on kept folds and so rarely load; the snapshot a load would write once
   * `snapshotEvery` events passed since the last one is written here instead (a read of the
   * stream's last event and the snapshot, once every `snapshotEvery` events), so that a process
   * that has not seen the account does not fold its whole history. A snapshot is only a shortcut:
   * one that cannot be written now is written by a later load.
   */
  async function snapshotIfDue(accountId: string, fold: Fold): Promise<void> {
    if (fold.version - (fold.snapshotVersion ?? 0) < snapshotEvery) return;
    await load(accountId).catch(() => undefined);
  }

  return {
    /** Opens an account; the id is minted unless given. A repeat with the same event id returns the same account. */
    async openAccount(
      input: {
        accountId?: string;
        owner: string;
        customerId?: string;
        customer?: string;
        initialDeposit?: number;
      } & Omit<CommandOptions, 'expectedVersion'>,
    ) {
      let accountId = input.accountId;
      if (accountId === undefined && input.eventId) {
        const earlier = await store.findEvent(input.eventId);
        if (earlier?.streamType === ACCOUNT_STREAM_TYPE) accountId = earlier.streamId.slice(accountStreamId('').length);
      }
      accountId ??= randomUUID();
      return execute(
        accountId,
        {
          type: 'OpenAccount',
          accountId,
          owner: input.owner,
          customerId: input.customerId,
          customer: input.customer,
          initialDeposit: input.initialDeposit ?? 0,
        },
        input,
      );
    },
    deposit(input: { accountId: string; amount: number; reason?: string; reference?: string } & CommandOptions) {
      const { accountId, amount, reason, reference } = input;
      return execute(accountId, { type: 'Deposit', accountId, amount, reason, reference }, input);
    },
    withdraw(input: { accountId: string; amount: number; reason?: string; reference?: string } & CommandOptions) {
      const { accountId, amount, reason, reference } = input;
      return execute(accountId, { type: 'Withdraw', accountId, amount, reason, reference }, input);
    },
    /** Gives an order's money back: a deposit with reason `refund` and the order as reference. */
    refund(input: { accountId: string; amount: number; orderId: string } & CommandOptions) {
      const { accountId, amount, orderId } = input;
      return execute(accountId, { type: 'Deposit', accountId, amount, reason: 'refund', reference: orderId }, input);
    },
    /** The account now, as of an instant, or at a version; null when it did not exist (yet) at that point. */
    async getAccount(accountId: string, at: { asOf?: Date; version?: number } = {}): Promise<AccountView | null> {
      const loaded = await load(accountId, { until: at.asOf, toVersion: at.version });
      if (loaded.state.status !== 'open') return null;
      if (at.version !== undefined && loaded.version < at.version) return null;
      return toView(accountId, loaded.state, loaded.version, loaded.position);
    },
    /** The audit trail: every event of the account with its metadata, oldest first. */
    history(accountId: string): Promise<StoredEvent[]> {
      return store.readStream(accountStreamId(accountId));
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;

function toView(accountId: string, state: AccountState, version: number, position: number | null): AccountView {
  if (state.status !== 'open' || position === null)
    throw new Error(`Account ${accountId} has no state at version ${version}`);
  return {
    accountId,
    owner: state.owner,
    customerId: state.customerId,
    customer: state.customer ?? null,
    balance: state.balance,
    version,
    position,
    openedAt: state.openedAt,
    updatedAt: state.updatedAt,
  };
}
