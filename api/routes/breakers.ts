import { randomUUID } from 'node:crypto';
import type { Router } from 'express';
import type { Db } from 'mongodb';
import { createBreakers, type BreakerView } from '../../activities/services';
import type { EventStore } from '../../eventstore';
import { actorOf } from '../auth';
import { breakerCommand, breakerParams } from '../contract';
import { policedRouter, type PoliceDeps } from '../policed-router';
import { parse } from '../validate';

const view = ({ probeBy: _probeBy, probeUntil: _probeUntil, opens: _opens, ...breaker }: BreakerView) => breaker;

/**
 * The circuit breakers of the external services (domain/breakers): their state, and an operator's
 * hand on them. A breaker opened by hand stays open until a hand closes it; each change is a
 * transition event of the breaker's stream (`breaker-<service>`, with the key id) and an audit record.
 */
export function breakerRoutes(deps: { police: PoliceDeps; db: Db; store: EventStore }): Router {
  const router = policedRouter(deps.police);
  const breakers = createBreakers({ db: deps.db, store: deps.store });
  const audit = deps.db.collection('audit_log');

  router.get('/breakers', async (_req, res) => {
    res.json({ breakers: (await breakers.list()).map(view) });
  });

  router.put('/breakers/:service', async (req, res) => {
    const { service } = parse(breakerParams, req.params, 'params');
    const { state, reason } = parse(breakerCommand, req.body ?? {}, 'body');
    const by = actorOf(res);
    const { changed, view: breaker } = await breakers.set(service, state, reason, by);
    await audit.insertOne({
      _id: randomUUID() as never,
      action: state === 'open' ? 'open-breaker' : 'close-breaker',
      service,
      reason,
      changed,
      at: new Date(),
      by,
    });
    res.json({ changed, breaker: view(breaker) });
  });

  return router;
}
