import { Router, type RequestHandler } from 'express';
import type { Config } from '../../config';
import type { Faults } from '../../infra/faults';
import { HttpError, notFound } from '../errors';
import { parse } from '../validate';
import { faultParams, faultSchema } from '../contract';
import { policedRouter, type PoliceDeps } from '../policed-router';
import { projectionNamed } from '../../readside';

/** Fault injection for tests and demos: make a service fail on purpose. Refused in production. */
export function faultRoutes(deps: { police: PoliceDeps; faults: Faults; config: Config }): Router {
  const router = policedRouter(deps.police);
  // After the access policy (operators only), so a client is told it may not, not why it cannot.
  const enabled: RequestHandler = (_req, _res, next) => {
    if (deps.config.NODE_ENV === 'production' || deps.config.FAULT_INJECTION === 'off') {
      next(
        new HttpError(
          403,
          'fault_injection_disabled',
          'Fault injection is disabled (production mode or FAULT_INJECTION=off)',
        ),
      );
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
    if (body.collection !== undefined) checkCollectionFault(service, body);
    await deps.faults.inject(service, {
      mode: body.mode,
      ...(body.failures !== undefined && { failures: body.failures }),
      ...(body.durationMs !== undefined && { until: new Date(Date.now() + body.durationMs) }),
      ...(body.hangMs !== undefined && { hangMs: body.hangMs }),
      ...(body.streamId !== undefined && { streamId: body.streamId }),
      ...(body.collection !== undefined && { collection: body.collection }),
      ...(body.flap !== undefined && { flap: body.flap }),
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

/**
 * A collection's fault only means something as an error of a projection's writes to one of its
 * collections. The body is well formed (the schema cannot tie a collection to the path's service),
 * so a combination that does not apply is 422, not 400.
 */
function checkCollectionFault(service: string, body: { mode: string; collection?: string; streamId?: string }) {
  const invalid = (message: string) =>
    new HttpError(422, 'fault_not_applicable', `body: collection: ${message}`, [{ field: 'collection', message }]);
  const projection = service.startsWith('projection:')
    ? projectionNamed(service.slice('projection:'.length))
    : undefined;
  if (!projection) throw invalid(`only a projection's writes can fail per collection, not ${service}'s`);
  if (!(body.collection! in projection.collections))
    throw invalid(
      `${projection.name} has no collection ${body.collection} (it has ${Object.keys(projection.collections).join(', ')})`,
    );
  if (body.mode !== 'error') throw invalid(`only mode 'error' can be scoped to a collection, not '${body.mode}'`);
  if (body.streamId !== undefined)
    throw invalid('cannot be combined with streamId (a collection fails for every stream)');
}
