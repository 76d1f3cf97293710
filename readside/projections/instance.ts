import type { Collection, Db } from 'mongodb';
import { deadLetterCollection, type DeadLetterDocument } from '../../infra/dead-letters';
import type { EventStore, StoredEvent } from '../../eventstore';
import type { FaultableService, Faults } from '../../infra/faults';
import type { Logger } from '../../infra/logger';
import { runSubscription } from '../engine/runner';
import type { HandleWithRetry, RunningSubscription, Subscription } from '../engine/types';
import type { LogWatcher } from '../engine/log-watcher';
import { checkpointIdOf, contextFor, ensureGeneration } from './generations';
import { parkBreaker } from './park-breaker';
import type { Projection } from './types';
import { withWriteFaults } from './write-faults';
import { probeWrites } from './write-probe';

export interface ParkedEventDocument {
  _id: string;
  instance: string;
  streamId: string;
  position: number;
  event: StoredEvent;
  parkedAt: Date;
}

export const parkedEvents = (db: Db) => db.collection<ParkedEventDocument>('parked_events');
/** A projection's dead letters: the shared collection, with the event they stand for as input. */
const projectionDeadLetters = (db: Db) =>
  deadLetterCollection(db) as unknown as Collection<
    DeadLetterDocument & { input: { position: number; streamId: string; eventId: string; type: string } }
  >;
export const auditLog = (db: Db) => db.collection('audit_log');

const OPERATOR_REQUESTS_EVERY_MS = 500;
/**
 * Without an unresolved dead letter of its own, an instance still looks, this much less often: a
 * former lease holder may have recorded one after this instance read them (before its fencing).
 */
const UNKNOWN_REQUESTS_EVERY_MS = 10_000;

export interface InstanceOptions {
  db: Db;
  store: EventStore;
  /** Fault injection (tests, demos): absent in production, and then nothing here consults it. */
  faults?: Faults;
  log: Logger;
  /** Attempts (with backoff) before an event is parked as a dead letter. */
  maxAttempts?: number;
  watcher?: LogWatcher;
  /** The lease epoch this instance runs under (0: unleased, e.g. a scratch rebuild in a test). */
  epoch?: number;
}

/**
 * One generation of one projection, as a subscription of the event log. An event that still fails
 * after its retries becomes a dead letter and blocks its stream: later events of that stream are
 * parked behind it (per-stream order), other streams keep flowing. Operators redrive or discard
 * the dead letter through the API; the request is carried out here, in the subscription's own
 * loop, so it never races with live processing.
 */
export function startProjectionInstance(
  projection: Projection,
  generation: number,
  options: InstanceOptions,
): RunningSubscription & { instance: string } {
  const { db, store, faults, log } = options;
  const instance = checkpointIdOf(projection.name, generation);
  const parked = parkedEvents(db);
  const deadLetters = projectionDeadLetters(db);
  const blocked = new Set<string>();
  /**
   * The instance's dead letters not yet redriven or discarded (their ids): an operator's request
   * (open -> redrive-requested or discard-requested, api/routes/dead-letters.ts) can only be for one
   * of them. They are read when the instance starts and added as it records them, so the requests
   * are looked for only while there is one, not twice a second on every projection.
   */
  const unresolved = new Set<string>();
  const breaker = parkBreaker(db, projection.name);
  let loaded = false;
  let requestsCheckedAt = 0;

  // Injected faults, registered only when fault injection is on: a projection that fails on one
  // stream (how tests make a poison event), everywhere (its store down) or at its writes to one
  // collection (write-faults.ts), and a projector that dies right after resolving a dead letter.
  const service = `projection:${projection.name}` as FaultableService;
  const plainCtx = contextFor(db, projection, generation, options.epoch ?? 0);
  const ctx = faults
    ? withWriteFaults(plainCtx, (collection) => faults.failIfCollectionDown(service, collection))
    : plainCtx;
  const intercept = faults && {
    beforeApply: (event?: StoredEvent) => faults.failIfDown(service, event?.streamId),
    afterResolve: () => faults.crashIfAsked(service),
  };

  const apply = async (event: StoredEvent) => {
    await intercept?.beforeApply(event);
    await projection.apply(event, ctx);
    log.debug(
      {
        correlationId: event.metadata.correlationId,
        projection: projection.name,
        position: event.position,
        type: event.type,
      },
      'read model updated',
    );
  };

  /**
   * A stream is blocked while it has an unresolved dead letter or parked events. Counting parked
   * events as well makes resolving crash-safe in any order: if the projector died after a dead
   * letter was marked redriven or discarded but before what waited behind it was applied, the
   * stream is still blocked on restart, and is released here, in order, before anything newer.
   */
  async function loadBlocked(handle: HandleWithRetry) {
    if (loaded) return;
    await ensureGeneration(db, projection, generation);
    const open = await deadLetters
      .find({
        source: 'projection',
        step: instance,
        status: { $in: ['open', 'redrive-requested', 'discard-requested'] },
      })
      .toArray();
    for (const d of open) {
      blocked.add(d.input.streamId);
      unresolved.add(d._id);
    }
    const waiting = new Set(await parked.distinct('streamId', { instance }));
    for (const streamId of waiting) blocked.add(streamId);
    loaded = true;
    for (const streamId of waiting) {
      if (open.some((d) => d.input.streamId === streamId && d.status === 'open')) continue;
      // Its dead letter is resolved (or being resolved): release unless a request is pending.
      if (!open.some((d) => d.input.streamId === streamId)) await release(streamId, handle);
    }
  }

  /**
   * Poison or systemic? Past its attempts, an event is poison only when the projection's store is
   * healthy — the store takes a write to each of the projection's read-model collections, through
   * the same context as the applies (write-probe.ts) — and events of other streams are not failing
   * too (park-breaker.ts). The runner asks this right before and right after an attempt of the
   * event, so a store that flaps cannot pass for healthy (subscriptions/retry.ts).
   */
  async function isPoison(event: StoredEvent): Promise<boolean> {
    try {
      await intercept?.beforeApply();
      await probeWrites(projection, ctx);
    } catch {
      return false;
    }
    return breaker.allows(event.streamId);
  }

  async function park(event: StoredEvent) {
    await parked.updateOne(
      { _id: `${instance}:${event.position}` },
      { $setOnInsert: { instance, streamId: event.streamId, position: event.position, event, parkedAt: new Date() } },
      { upsert: true },
    );
  }

  async function recordDeadLetter(event: StoredEvent, error: unknown, attempts: number) {
    await breaker.record(event.streamId);
    blocked.add(event.streamId);
    const id = `projection:${instance}:${event.position}`;
    unresolved.add(id);
    await deadLetters.updateOne(
      { _id: id },
      {
        $set: { error: error instanceof Error ? error.message : String(error) },
        // Added up: a redriven event that fails again keeps the attempts of every round.
        $inc: { attempts },
        $setOnInsert: {
          source: 'projection',
          kind: 'event',
          service: projection.name,
          step: instance,
          orderId: (event.data as { orderId?: string })?.orderId,
          correlationId: event.metadata.correlationId,
          input: {
            position: event.position,
            streamId: event.streamId,
            eventId: event.metadata.eventId,
            type: event.type,
          },
          status: 'open',
          createdAt: new Date(),
        },
      },
      { upsert: true },
    );
  }

  /**
   * Applies what waited behind a resolved dead letter, in order, each through the subscription's
   * retry policy like an event of the log: a store that fails meanwhile stalls the projection until
   * it is back, and only an event that is poison by the same probes and breaker becomes a new dead
   * letter, which the stream then waits behind.
   */
  async function release(streamId: string, handle: HandleWithRetry): Promise<void> {
    const waiting = await parked.find({ instance, streamId }).sort({ position: 1 }).toArray();
    for (const entry of waiting) {
      const outcome = await handle(entry.event);
      await parked.deleteOne({ _id: entry._id });
      if (outcome === 'poison') return; // still blocked, behind the new dead letter
    }
    blocked.delete(streamId);
  }

  async function handleOperatorRequests(handle: HandleWithRetry) {
    const requests = await deadLetters
      .find({ source: 'projection', step: instance, status: { $in: ['redrive-requested', 'discard-requested'] } })
      .sort({ 'input.position': 1 })
      .toArray();
    for (const request of requests) {
      if (request.status === 'redrive-requested') {
        const event = await store.findEvent(request.input.eventId);
        // A redrive is one more round of the retry policy: while the store fails it waits for the
        // store, and only a poison event goes back to its dead letter (the same document: onPoison
        // has just written its error and attempts), which is open again.
        if (event && (await handle(event)) === 'poison') {
          await deadLetters.updateOne({ _id: request._id, status: 'redrive-requested' }, { $set: { status: 'open' } });
          continue;
        }
        await deadLetters.updateOne({ _id: request._id }, { $set: { status: 'redriven', resolvedAt: new Date() } });
      } else {
        await deadLetters.updateOne({ _id: request._id }, { $set: { status: 'discarded', resolvedAt: new Date() } });
      }
      unresolved.delete(request._id);
      await intercept?.afterResolve();
      const stillOpen = await deadLetters.countDocuments({
        source: 'projection',
        step: instance,
        'input.streamId': request.input.streamId,
        status: 'open',
      });
      if (stillOpen === 0) await release(request.input.streamId, handle);
    }
  }

  const subscription: Subscription = {
    name: `projection:${projection.name}`,
    checkpointId: instance,
    ...(options.epoch !== undefined && { epoch: options.epoch }),
    eventTypes: projection.eventTypes,
    ...(projection.checkpoint && { checkpoint: projection.checkpoint }),
    retry: { initialMs: 50, maxMs: 2_000, maxAttempts: options.maxAttempts ?? 5 },
    handle: apply,
    ...(projection.applyMany && {
      handleMany: async (events: StoredEvent[]) => {
        if (intercept) for (const event of events) await intercept.beforeApply(event);
        await projection.applyMany!(events, ctx);
      },
    }),
    onPoison: recordDeadLetter,
    isPoison,
    shouldPark: (event) => blocked.has(event.streamId),
    park,
    beforeBatch: loadBlocked,
    afterBatch: async (handle) => {
      // Operator requests (redrive, discard) are looked for twice a second while the instance has an
      // unresolved dead letter, not on every batch: at a few hundred events a second that query
      // would be a round trip per batch per projection. After the batch, so that the events of the
      // batch are readable without waiting for it.
      const every = unresolved.size > 0 ? OPERATOR_REQUESTS_EVERY_MS : UNKNOWN_REQUESTS_EVERY_MS;
      if (Date.now() - requestsCheckedAt >= every) {
        requestsCheckedAt = Date.now();
        await handleOperatorRequests(handle);
      }
    },
  };
  return { instance, ...runSubscription(subscription, { db, store, log, watcher: options.watcher }) };
}
