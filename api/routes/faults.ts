import { Router, type RequestHandler } from 'express';
import type { Config } from '../../config';
import { FAULTABLE_SERVICES, type Faults } from '../../infra/faults';
import { HttpError, notFound } from '../errors';
import { parse } from '../validate';
import { faultParams, faultSchema } from '../contract';
import { policedRouter, type PoliceDeps } from '../policed-router';

/** Fault injection for tests and demos: make a service fail on purpose. Refused in production. */
export function faultRoutes(deps: { police: PoliceDeps; faults: Faults; config: Config }): Router {
  const router = policedRouter(deps.police);
  // After the access policy (operators only), so a client is told it may not, not why it cannot.
  const enabled: RequestHandler = (_req, _res, next) => {
    if (deps.config.NODE_ENV === 'production' || deps.config.FAULT_INJECTION === 'off') {
      next(new HttpError(403, 'fault_injection_disabled', 'Fault injection is disabled (production mode or FAULT_INJECTION=off)'));
      return;
    }
    next();
  };

  router.get('/faults', enabled, async (_req, res) => {
    res.json({ faults: await deps.faults.list() });
  });

  router.put('/faults/:service', enabled, async (req, res) => {
    const { service } = parse(faultParams, req.params, 'params');
    const body = parse(faultSchema, req.body ?? {}, 'body');
    await deps.faults.inject(service, {
      mode: body.mode,
      ...(body.failures !== undefined && { failures: body.failures }),
      ...(body.durationMs !== undefined && { until: new Date(Date.now() + body.durationMs) }),
      ...(body.hangMs !== undefined && { hangMs: body.hangMs }),
      ...(body.streamId !== undefined && { streamId: body.streamId }),
    });
    res.status(200).json({ service, ...body });
  });

  router.delete('/faults/:service', enabled, async (req, res) => {
    const { service } = parse(faultParams, req.params, 'params');
    if (!(await deps.faults.clear(service))) throw notFound(`Fault for ${service}`);
    res.status(204).end();
  });

  return router;
}
