import { once } from 'node:events';
import type { Request, Response, Router } from 'express';
import type { ChangeStream, Db } from 'mongodb';
import client from 'prom-client';
import type { Config } from '../../config';
import type { EventStore, StoredEvent } from '../../eventstore';
import { deadLetterCollection } from '../../infra/dead-letters';
import type { Logger } from '../../infra/logger';
import type { PersonalData } from '../../infra/personal-data';
import { projectionStatuses } from '../../readside';
import { ownCustomer } from '../auth';
import { LIVE_TOPICS, liveQuery, type LiveTopic } from '../contract';
import { HttpError } from '../errors';
import { ownsStream, streamSubject } from '../stream-owners';
import { policedRouter, type PoliceDeps } from '../policed-router';
import { parse } from '../validate';

/** How often the read side and the dead letters are looked at, and the log polled should the change stream fail. */
const TICK_MS = 1_000;
/** A comment line this often keeps proxies from closing a quiet feed, and finds a client that left. */
const KEEP_ALIVE_MS = 15_000;
const READ_BATCH = 200;
/** Ownership answers remembered per feed (a client's feed asks once per order or account it passes). */
const OWNERS_KEPT = 10_000;
const CLIENT_TOPICS: readonly LiveTopic[] = ['orders', 'accounts', 'read-side'];

/**
 * Server-sent events framing (the WHATWG HTML "server-sent events" format), written out here rather
 * than taken from a library: every payload is one line of JSON (JSON.stringify escapes line
 * breaks), so a frame is an optional `id:` line, an `event:` line, one `data:` line and a blank line.
 * The console reads it with a streamed fetch (EventSource cannot send an Authorization header).
 */
export const sseFrame = (event: string, data: unknown, id?: number): string =>
  `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** The topic a stream's events belong to: accounts, or the orders' (the saga's streams and the SKUs'). */
const topicOf = (streamId: string): LiveTopic => (streamSubject(streamId)?.kind === 'account' ? 'accounts' : 'orders');

/**
 * GET /live: the event log from a position on, read-side states and dead letters, as
 * text/event-stream over one streamed response (see README, "The live feed"). Events are read by
 * position (eventstore readAll), so the feed never skips one still in flight and resumes exactly
 * from `after`; a change stream on the log only says when to read, and a one-second tick reads
 * anyway should it fail. A client key sees the events of its own orders and accounts.
 */
export function liveRoutes(deps: {
  police: PoliceDeps;
  db: Db;
  store: Pick<EventStore, 'readAll' | 'headPosition'>;
  personalData: PersonalData;
  config: Pick<Config, 'PROJECTION_STALL_AFTER' | 'LIVE_FEED_MAX'>;
  log: Logger;
  registry: client.Registry;
}): Router {
  const router = policedRouter(deps.police);
  const open = new client.Gauge({
    name: 'api_live_feeds_open',
    help: 'GET /live responses being streamed now',
    registers: [deps.registry],
  });

  router.get('/live', async (req, res) => {
    const q = parse(liveQuery, req.query, 'query');
    const own = ownCustomer(res);
    const asked = q.topics === undefined ? LIVE_TOPICS : (q.topics.split(',') as LiveTopic[]);
    // A client's feed is narrowed to what it may follow (the hello frame names it); asking for
    // nothing it may follow is refused.
    const topics = new Set(own === undefined ? asked : asked.filter((t) => CLIENT_TOPICS.includes(t)));
    if (topics.size === 0)
      throw new HttpError(
        403,
        'forbidden',
        'Dead letters are for operators; a client may follow orders, accounts, read-side',
      );
    const head = await deps.store.headPosition();
    if (q.after !== undefined && q.after > head)
      throw new HttpError(
        422,
        'unknown_position',
        `Position ${q.after} is beyond the head of the event log (${head})`,
        {
          after: q.after,
          headPosition: head,
        },
      );
    const maxMs = Math.min(deps.config.LIVE_FEED_MAX, (q.maxSeconds ?? Infinity) * 1_000);
    await stream(req, res, { topics, own, after: q.after ?? head, maxMs });
  });

  async function stream(
    req: Request,
    res: Response,
    feed: { topics: Set<LiveTopic>; own: string | undefined; after: number; maxMs: number },
  ) {
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    open.inc();

    let position = feed.after;
    let closed = false;
    let wake: (() => void) | undefined;
    let pending = true;
    const fire = () => {
      pending = true;
      wake?.();
    };
    let changes: ChangeStream | undefined;
    try {
      changes = deps.db.collection('events').watch([{ $match: { operationType: 'insert' } }], { maxAwaitTimeMS: 500 });
      changes.on('change', fire);
      // The tick reads the log anyway: a failed change stream only slows the feed to once a second.
      changes.on('error', (err) => deps.log.debug({ err: String(err) }, 'live feed: change stream failed'));
    } catch (err) {
      deps.log.debug({ err: String(err) }, 'live feed: no change stream; polling');
    }
    const tick = setInterval(fire, TICK_MS);
    let endReason = 'client-closed';
    const finish = (reason: string) => {
      if (closed) return;
      closed = true;
      endReason = reason;
      fire();
    };
    const deadline = setTimeout(() => finish('max-duration'), feed.maxMs);
    res.on('close', () => finish('client-closed'));

    let lastWrite = Date.now();
    const write = async (chunk: string) => {
      if (closed && endReason === 'client-closed') return;
      lastWrite = Date.now();
      if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    };

    const owners = new Map<string, Promise<boolean>>();
    const visible = (e: StoredEvent): Promise<boolean> => {
      if (!feed.topics.has(topicOf(e.streamId))) return Promise.resolve(false);
      if (feed.own === undefined) return Promise.resolve(true);
      const subject = streamSubject(e.streamId);
      if (!subject) return Promise.resolve(false);
      const key = `${subject.kind}:${subject.id}`;
      let mine = owners.get(key);
      if (!mine) {
        if (owners.size >= OWNERS_KEPT) owners.clear();
        mine = ownsStream(deps.police.ownership, e.streamId, feed.own);
        owners.set(key, mine);
      }
      return mine;
    };

    async function pumpEvents() {
      for (;;) {
        const batch = await deps.store.readAll({ fromPosition: position + 1, limit: READ_BATCH });
        let shownUpTo = position;
        for (const e of batch.events) {
          if (closed) return;
          if (!(await visible(e))) continue;
          await write(
            sseFrame(
              'event',
              {
                streamId: e.streamId,
                streamType: e.streamType,
                version: e.version,
                position: e.position,
                type: e.type,
                data: await deps.personalData.openDeep(e.data),
                metadata: e.metadata,
              },
              e.position,
            ),
          );
          shownUpTo = e.position;
        }
        const reached = batch.nextPosition - 1;
        // Past events this caller does not see: say how far the feed has read, so a resume starts there.
        if (reached > shownUpTo) await write(sseFrame('position', { position: reached }, reached));
        position = Math.max(position, reached);
        if (batch.events.length + batch.gaps.length < READ_BATCH || batch.hole !== null) return;
      }
    }

    let readSideSeen = '';
    async function pumpReadSide() {
      const rows = await projectionStatuses(deps.db, deps.store, deps.config.PROJECTION_STALL_AFTER);
      const projections = rows.map((r) => ({
        name: r.name,
        state: r.state,
        position: r.position,
        lagEvents: r.lagEvents,
        lagMs: r.lagMs,
      }));
      const seen = JSON.stringify(projections.map((p) => [p.name, p.state, p.position, p.lagEvents]));
      if (seen === readSideSeen) return;
      readSideSeen = seen;
      await write(sseFrame('read-side', { headPosition: rows[0]?.headPosition ?? null, projections }));
    }

    const letterStatus = new Map<string, string>();
    let lettersSeen = false;
    async function pumpDeadLetters() {
      const letters = deadLetterCollection(deps.db);
      const [openCount, recent] = await Promise.all([
        letters.countDocuments({ status: 'open' }),
        letters
          .find({}, { projection: { input: 0 } })
          .sort({ createdAt: -1 })
          .limit(100)
          .toArray(),
      ]);
      const changed = recent.filter((l) => letterStatus.get(l._id) !== l.status);
      for (const l of changed) letterStatus.set(l._id, l.status);
      if (lettersSeen && changed.length === 0) return;
      await write(
        sseFrame('dead-letters', {
          open: openCount,
          // The first frame states the count; later ones the letters that opened or moved since.
          changed: lettersSeen
            ? changed.map(({ _id, source, kind, service, step, orderId, status, error, createdAt }) => ({
                id: _id,
                source,
                kind,
                service,
                step,
                orderId: orderId ?? null,
                status,
                error,
                createdAt,
              }))
            : [],
        }),
      );
      lettersSeen = true;
    }

    try {
      await write(
        sseFrame('hello', { position, topics: [...feed.topics], maxSeconds: Math.round(feed.maxMs / 1_000) }, position),
      );
      let lastLook = 0;
      while (!closed) {
        if (!pending) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        pending = false;
        if (closed) break;
        if (feed.topics.has('orders') || feed.topics.has('accounts')) await pumpEvents();
        if (Date.now() - lastLook >= TICK_MS) {
          lastLook = Date.now();
          if (feed.topics.has('read-side')) await pumpReadSide();
          if (feed.topics.has('dead-letters')) await pumpDeadLetters();
        }
        if (Date.now() - lastWrite >= KEEP_ALIVE_MS) await write(': keep-alive\n\n');
      }
      if (endReason !== 'client-closed') await write(sseFrame('end', { reason: endReason, position }, position));
    } catch (err) {
      deps.log.warn({ err: String(err) }, 'live feed failed');
      if (!res.writableEnded && !closed)
        await write(sseFrame('error', { message: 'The feed failed; resume with after' }));
    } finally {
      closed = true;
      clearInterval(tick);
      clearTimeout(deadline);
      await changes?.close().catch(() => {});
      open.dec();
      res.end();
    }
  }

  return router;
}
