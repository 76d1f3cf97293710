import { createHash } from 'node:crypto';
import type { Db } from 'mongodb';
import { HttpError } from './errors';

interface IdempotencyDocument {
  _id: string;
  scope: string;
  requestHash: string;
  resourceId: string;
  createdAt: Date;
}

export const idempotencyKeySchemaMessage = 'Idempotency-Key must be 1-200 printable ASCII characters';

/**
 * `Idempotency-Key` for commands: the first request with a key claims it (a unique _id, atomic),
 * later ones get the same resource id. The same key with a different body is a client bug and is
 * refused with 422 rather than silently answered with the first request's result.
 */
export function createIdempotency(db: Db) {
  const keys = db.collection<IdempotencyDocument>('idempotency_keys');
  return {
    async claim(scope: string, key: string, body: unknown, newResourceId: string): Promise<{ resourceId: string; replay: boolean }> {
      if (!/^[\x21-\x7e]{1,200}$/.test(key)) throw new HttpError(400, 'validation_failed', idempotencyKeySchemaMessage, [{ field: 'Idempotency-Key', message: idempotencyKeySchemaMessage }]);
      const requestHash = createHash('sha256').update(canonicalJson(body)).digest('hex');
      const id = `${scope}:${key}`;
      const doc = await keys.findOneAndUpdate(
        { _id: id },
        { $setOnInsert: { scope, requestHash, resourceId: newResourceId, createdAt: new Date() } },
        { upsert: true, returnDocument: 'after' },
      ).catch(async (err) => {
        // Two first requests racing on the same key: the loser's upsert hits the unique _id.
        if ((err as { code?: number }).code === 11000) return keys.findOne({ _id: id });
        throw err;
      });
      if (!doc) throw new Error('idempotency key vanished');
      if (doc.requestHash !== requestHash) {
        throw new HttpError(422, 'idempotency_key_reused', 'This Idempotency-Key was already used with a different request body');
      }
      return { resourceId: doc.resourceId, replay: doc.resourceId !== newResourceId };
    },
  };
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
