import cors from 'cors';
import { Router } from 'express';
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import type { AesGcmPayloadCodec } from '../../infra/payload-codec';
import { HttpError } from '../errors';
import { parse } from '../validate';
import { codecBody } from '../contract';
import { policedRouter, type PoliceDeps } from '../policed-router';
import type { PersonalData } from '../../infra/personal-data';

const toPayload = (p: z.infer<typeof codecBody>['payloads'][number]): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const fromPayload = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

/**
 * A Temporal remote codec server (POST /codec/encode, /codec/decode): the Temporal Web UI and the
 * `temporal` CLI (--codec-endpoint) call it to show encrypted payloads in clear to operators.
 * Operator-only when authentication is on; answers CORS preflights for the Web UI's origin.
 */
/**
 * Decoded JSON payloads with their sealed personal fields opened too, so the Web UI and `temporal
 * workflow show` show an order's data while its customer's key exists (and [erased] after).
 */
async function openPersonalFields(payloads: Payload[], personalData: PersonalData): Promise<Payload[]> {
  return Promise.all(
    payloads.map(async (p) => {
      if (Buffer.from(p.metadata?.encoding ?? new Uint8Array()).toString() !== 'json/plain' || !p.data) return p;
      const text = Buffer.from(p.data).toString('utf8');
      if (!text.includes('"pd1.')) return p;
      return { ...p, data: Buffer.from(JSON.stringify(await personalData.openDeep(JSON.parse(text)))) };
    }),
  );
}

export function codecRoutes(deps: {
  police: PoliceDeps;
  codec: AesGcmPayloadCodec | undefined;
  corsOrigins: string[];
  personalData: PersonalData;
}): Router {
  const router = policedRouter(deps.police);
  // The Web UI calls from its own origin; preflights are answered here (204), before any key check.
  router.use(
    '/codec',
    cors({
      origin: deps.corsOrigins,
      credentials: true,
      allowedHeaders: ['Content-Type', 'Authorization', 'X-Namespace', 'X-API-Key'],
      methods: ['POST', 'OPTIONS'],
    }),
  );
  router.use('/codec', (_req, _res, next) => {
    if (!deps.codec) {
      next(new HttpError(404, 'codec_disabled', 'Payload encryption is off (PAYLOAD_KEYS is not set)'));
      return;
    }
    next();
  });
  for (const action of ['encode', 'decode'] as const) {
    router.post(`/codec/${action}`, async (req, res) => {
      const { payloads } = parse(codecBody, req.body, 'body');
      try {
        const out = await deps.codec![action](payloads.map(toPayload));
        res.json({
          payloads: (action === 'decode' ? await openPersonalFields(out, deps.personalData) : out).map(fromPayload),
        });
      } catch (err) {
        throw new HttpError(422, 'codec_failed', `Could not ${action}: ${(err as Error).message}`);
      }
    });
  }
  return router;
}
