import type { Router } from 'express';
import type { EventStore, StoredEvent } from '../../eventstore';
import { accountStreamId } from '../../domain/accounts';
import type { PersonalData } from '../../infra/personal-data';
import {
  decidedStreamParams,
  orderIdParams,
  pointInTime,
  streamEventsQuery,
  streamParams,
  type DECIDED_STREAM_TYPES,
} from '../contract';
import { notFound } from '../errors';
import { ORDER_STREAM_TYPES } from '../stream-owners';
import { policedRouter, type PoliceDeps } from '../policed-router';
import { parse } from '../validate';
import { stateChanges } from './state-diff';
import { STREAM_EVOLVERS } from './stream-deciders';

const ACCOUNT_ID = /^[A-Za-z0-9_.:-]{1,100}$/;

/**
 * The event log as operators (and, for their own orders and accounts, clients) browse it: any
 * stream's events, an aggregate's state at a version or an instant beside its state now, and an
 * order's timeline across the streams it touches. All strongly consistent: read from the log, not
 * from a read model. Personal data is opened for the answer exactly as the other routes open it
 * (an erased customer's reads as [erased]).
 */
export function streamRoutes(deps: {
  police: PoliceDeps;
  store: Pick<EventStore, 'readStream' | 'streamVersion' | 'aggregateStream'>;
  personalData: PersonalData;
}): Router {
  const router = policedRouter(deps.police);
  const { store, personalData } = deps;

  const shown = async (e: StoredEvent) => ({
    streamId: e.streamId,
    streamType: e.streamType,
    version: e.version,
    position: e.position,
    type: e.type,
    data: await personalData.openDeep(e.data),
    metadata: e.metadata,
  });

  router.get('/streams/:streamId/events', async (req, res) => {
    const { streamId } = parse(streamParams, req.params, 'params');
    const q = parse(streamEventsQuery, req.query, 'query');
    const version = await store.streamVersion(streamId);
    if (version === 0) throw notFound(`Stream ${streamId}`);
    const events =
      q.fromVersion > version
        ? []
        : await store.readStream(streamId, { fromVersion: q.fromVersion, toVersion: q.fromVersion + q.limit - 1 });
    const last = events.at(-1)?.version ?? q.fromVersion - 1;
    res.json({
      streamId,
      streamType: streamId.slice(0, streamId.indexOf('-')),
      version,
      events: await Promise.all(events.map(shown)),
      nextVersion: last < version ? last + 1 : null,
    });
  });

  router.get('/streams/:streamId/state', async (req, res) => {
    const { streamId } = parse(decidedStreamParams, req.params, 'params');
    const at = parse(pointInTime, req.query, 'query');
    const streamType = streamId.slice(0, streamId.indexOf('-')) as (typeof DECIDED_STREAM_TYPES)[number];
    const { evolver, snapshots } = STREAM_EVOLVERS[streamType];
    const fold = (options: { until?: Date; toVersion?: number }) =>
      store.aggregateStream(streamId, evolver, { ...options, useSnapshots: snapshots });
    const now = await fold({});
    if (now.version === 0) throw notFound(`Stream ${streamId}`);
    const travels = at.asOf !== undefined || at.version !== undefined;
    const then = travels
      ? await fold({ until: at.asOf === undefined ? undefined : new Date(at.asOf), toVersion: at.version })
      : now;
    // As GET /accounts/:id answers: no state before the first event, nor at a version not reached (by asOf).
    if (then.version === 0 || (at.version !== undefined && then.version < at.version)) {
      const when = `${at.version ? ` at version ${at.version}` : ''}${at.asOf ? ` as of ${at.asOf}` : ''}`;
      throw notFound(`Stream ${streamId}${when}`);
    }
    const [thenState, nowState] = await Promise.all([
      personalData.openDeep(then.state),
      personalData.openDeep(now.state),
    ]);
    const folded = (f: typeof now, state: unknown) => ({
      version: f.version,
      position: f.position,
      timestamp: f.timestamp,
      state,
    });
    res.json({
      streamId,
      streamType,
      then: folded(then, thenState),
      now: folded(now, nowState),
      changes: stateChanges(thenState, nowState),
    });
  });

  router.get('/orders/:orderId/events', async (req, res) => {
    const { orderId } = parse(orderIdParams, req.params, 'params');
    const own = await Promise.all(ORDER_STREAM_TYPES.map((type) => store.readStream(`${type}-${orderId}`)));
    const orderEvents = own.flat();
    if (orderEvents.length === 0) throw notFound(`Order ${orderId}`);
    // Its money moves on the account it is paid from: the debit and the refund name the order as their reference.
    const accountIds = new Set(
      orderEvents
        .map((e) => (e.data as { accountId?: unknown } | null)?.accountId)
        .filter((id): id is string => typeof id === 'string' && ACCOUNT_ID.test(id)),
    );
    const moves = await Promise.all(
      [...accountIds].map(async (accountId) =>
        (await store.readStream(accountStreamId(accountId))).filter(
          (e) => (e.data as { reference?: unknown } | null)?.reference === orderId,
        ),
      ),
    );
    const timeline = [...orderEvents, ...moves.flat()].sort((a, b) => a.position - b.position);
    res.json({
      orderId,
      streams: [...new Set(timeline.map((e) => e.streamId))],
      events: await Promise.all(timeline.map(shown)),
    });
  });

  return router;
}
