import type { Db } from 'mongodb';
import type { BlindIndex } from './blind-index';
import type { SubjectKeys } from './subject-keys';

export const ERASURE_ACTION = 'erase-personal-data';

/**
 * The audit log's record of one erasure: that it happened, when, and by whom. It names neither the
 * customer nor the key: the subject is a keyed hash of the customer id (whoever holds the
 * blind-index secret and the id can show the erasure happened), and the `_id` comes from a random
 * id the key carried, which leads nowhere once the key is gone.
 */
export interface ErasureRecord {
  _id: string;
  action: typeof ERASURE_ACTION;
  subject: string;
  /** The caller's API key id. */
  by: string;
  requestedAt: Date;
  /** When the key was found destroyed; absent while the erasure is under way (or its process died). */
  at?: Date;
}

export const erasureRecordId = (erasureId: string) => `${ERASURE_ACTION}:${erasureId}`;

/**
 * Erasing a subject in three steps, each safe to repeat, so that a crash between any two of them
 * and a retry still end with the key destroyed and exactly one complete audit record:
 * 1. record: the audit record of the erasure of the subject's current key, written before anything
 *    is destroyed, under the erasure id that key carries (a retry finds the same one);
 * 2. destroy: the key's document deleted (only that key, not one created after it);
 * 3. complete: every record of the subject whose key is gone gets its time, whichever call
 *    destroyed the key.
 */
export function createErasure(db: Db, keys: SubjectKeys, index: BlindIndex) {
  const audit = db.collection<ErasureRecord>('audit_log');

  const steps = {
    async record(subject: string, by: string): Promise<{ keyId: string; erasureId: string } | null> {
      const current = await keys.current(subject);
      if (current) {
        await audit.updateOne(
          { _id: erasureRecordId(current.erasureId) },
          {
            $setOnInsert: {
              action: ERASURE_ACTION,
              subject: index.erasureSubject(subject),
              by,
              requestedAt: new Date(),
            },
          },
          { upsert: true },
        );
      }
      return current;
    },

    destroy: (subject: string, keyId: string): Promise<boolean> => keys.destroy(subject, keyId),

    /** Answers when the subject's latest erasure happened (null: never). */
    async complete(subject: string): Promise<Date | null> {
      const named = { action: ERASURE_ACTION, subject: index.erasureSubject(subject) } as const;
      // A record whose key still exists belongs to an erasure that has not destroyed it yet.
      const live = await keys.current(subject);
      await audit.updateMany(
        { ...named, at: { $exists: false }, ...(live && { _id: { $ne: erasureRecordId(live.erasureId) } }) },
        { $set: { at: new Date() } },
      );
      const latest = await audit
        .find({ ...named, at: { $exists: true } })
        .sort({ at: -1 })
        .limit(1)
        .next();
      return latest?.at ?? null;
    },
  };

  return {
    steps,
    /** Destroys the subject's data key, audited. Idempotent: answers whether this call destroyed a key, and when the latest erasure happened. */
    async erase(subject: string, by: string): Promise<{ erased: boolean; erasedAt: Date | null }> {
      const current = await steps.record(subject, by);
      const erased = current !== null && (await steps.destroy(subject, current.keyId));
      return { erased, erasedAt: await steps.complete(subject) };
    },
  };
}
