import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Db } from 'mongodb';
import type { Config } from '../config';
import { principalOf } from './auth';
import { HttpError } from './errors';
import { IDEMPOTENCY_KEY_PATTERN } from './contract';
import { IDEMPOTENCY_KEYS } from '../infra/idempotency-keys';

/** What a command answered, kept so that a repeat gets exactly the same answer. */
export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface IdempotencyDocument {
  _id: string;
  scope: string;
  requestHash: string;
  state: 'pending' | 'done';
  answer?: Answer;
  /** A pending claim whose holder died is taken over once this passes. */
  leaseUntil: Date;
  createdAt: Date;
  /** The TTL index removes the document after this; lookups ignore it after this too. */
  expiresAt: Date;
}

export const idempotencyKeySchemaMessage = 'Idempotency-Key must be 1-200 printable ASCII characters';
/** Commands take well under a second; a claim whose holder died is free again after this. */
const LEASE_MS = 10_000;
const WAIT_FOR_FIRST_MS = 5_000;

/**
 * `Idempotency-Key` for every command that moves money or stock, with one contract:
 *
 * - the same key and the same body replay the first answer (status, body, headers), marked
 *   `Idempotent-Replayed: true`; the same key with another body is a 422;
 * - a duplicate that arrives while the first is still running waits for it (up to 5 s) and then
 *   gets its answer; if the first takes longer, 409 `idempotency_in_progress` with `Retry-After: 1`;
 * - keys are scoped per caller (the API key's id), so one customer can neither probe nor block
 *   another's keys;
 * - a request that fails leaves no key behind: a rejected one leaves no trace at all;
 * - keys are remembered for IDEMPOTENCY_RETENTION (TTL index; lookups enforce it as well, for
 *   servers whose TTL monitor lags or is missing);
 * - the command gets a `seed` derived from caller, scope and key, from which it derives the ids of
 *   what it writes (order id, event id), so the event store's unique ids keep it exactly-once
 *   even after the key has expired or when its holder crashed mid-way;
 * - a record keeps the request body only as `digest` makes it, a keyed hash
 *   (PersonalData.requestDigest): a body names the customer, and a plain hash of it could be
 *   matched by anyone who guesses the body. Records from before hold the body's plain SHA-256,
 *   which still matches the same body.
 */
export function createIdempotency(
  db: Db,
  config: Pick<Config, 'IDEMPOTENCY_RETENTION'>,
  digest: (canonicalBody: string) => string,
) {
  const keys = db.collection<IdempotencyDocument>(IDEMPOTENCY_KEYS);
  const retention = config.IDEMPOTENCY_RETENTION;

  /** Claims the key for this request; answers (and returns null) when it was already used. */
  async function claim(
    id: string,
    scope: string,
    requestHash: string,
    sameRequest: (stored: string) => boolean,
    res: Response,
    present: Present,
  ): Promise<'claimed' | null> {
    const waitUntil = Date.now() + WAIT_FOR_FIRST_MS;
    for (let attempt = 0; attempt < 1_000; attempt++) {
      const now = new Date();
      const fresh: IdempotencyDocument = {
        _id: id,
        scope,
        requestHash,
        state: 'pending',
        leaseUntil: new Date(now.getTime() + LEASE_MS),
        createdAt: now,
        expiresAt: new Date(now.getTime() + retention),
      };
      try {
        await keys.insertOne(fresh);
        return 'claimed';
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err;
      }
      const doc = await keys.findOne({ _id: id });
      if (!doc) continue; // expired and removed meanwhile: claim again
      if (doc.expiresAt <= now) {
        // Past its retention but not yet swept: the key is free again.
        const taken = await keys.findOneAndReplace({ _id: id, expiresAt: doc.expiresAt }, fresh);
        if (taken) return 'claimed';
        continue;
      }
      if (!sameRequest(doc.requestHash))
        throw new HttpError(
          422,
          'idempotency_key_reused',
          'This Idempotency-Key was already used with a different request body',
        );
      if (doc.state === 'done' && doc.answer) {
        res
          .status(doc.answer.status)
          .set({ ...doc.answer.headers, 'Idempotent-Replayed': 'true' })
          .json(await present(doc.answer.body));
        return null;
      }
      if (doc.leaseUntil > now) {
        // The first request is still running: wait for its answer rather than bounce the caller.
        if (Date.now() < waitUntil) {
          await new Promise((r) => setTimeout(r, 25));
          continue;
        }
        res.set('Retry-After', '1');
        throw new HttpError(
          409,
          'idempotency_in_progress',
          'A request with this Idempotency-Key is still being processed; retry shortly to get its answer',
        );
      }
      // Its holder died mid-way: take the claim over (the seed makes the rerun exactly-once).
      const taken = await keys.findOneAndUpdate(
        { _id: id, state: 'pending', leaseUntil: doc.leaseUntil },
        { $set: { leaseUntil: new Date(now.getTime() + LEASE_MS) } },
      );
      if (taken) return 'claimed';
    }
    throw new HttpError(409, 'idempotency_in_progress', 'This Idempotency-Key is contended; retry shortly');
  }

  return {
    /**
     * Runs `command` at most once per (caller, scope, key) and answers the request. Without a key
     * it simply runs. `command` must throw (HttpError for 4xx) rather than answer an error.
     * `present` turns the stored answer's body into what the caller gets, on the first answer and
     * on every replay: an answer with personal data is stored sealed and opened only to be sent.
     */
    async run(
      req: Request,
      res: Response,
      scope: string,
      body: unknown,
      command: (seed: string | undefined) => Promise<Answer>,
      present: Present = async (b) => b,
    ): Promise<void> {
      const key = req.header('idempotency-key');
      if (key === undefined) return send(res, await command(undefined), present);
      if (!IDEMPOTENCY_KEY_PATTERN.test(key))
        throw new HttpError(400, 'validation_failed', idempotencyKeySchemaMessage, [
          { field: 'Idempotency-Key', message: idempotencyKeySchemaMessage },
        ]);
      const seed = createHash('sha256')
        .update(`${principalOf(res).keyId}\n${scope}\n${key}`)
        .digest('hex');
      const canonical = canonicalJson(body);
      const requestHash = digest(canonical);
      const sameRequest = (stored: string) =>
        stored === requestHash || stored === createHash('sha256').update(canonical).digest('hex');
      if ((await claim(seed, scope, requestHash, sameRequest, res, present)) === null) return;
      let answer: Answer;
      try {
        answer = await command(seed);
      } catch (err) {
        await keys.deleteOne({ _id: seed, state: 'pending' }).catch(() => {});
        throw err;
      }
      await keys.updateOne({ _id: seed }, { $set: { state: 'done', answer } });
      await send(res, answer, present);
    },
  };
}

export type Idempotency = ReturnType<typeof createIdempotency>;

type Present = (body: unknown) => Promise<unknown>;

async function send(res: Response, answer: Answer, present: Present): Promise<void> {
  const body = await present(answer.body);
  res
    .status(answer.status)
    .set(answer.headers ?? {})
    .json(body);
}

/** A UUID-shaped id derived from a seed, for resources whose id must follow from the key. */
export function idFromSeed(seed: string): string {
  const h = seed.slice(0, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** JSON with sorted keys, so that the same body in another key order hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
