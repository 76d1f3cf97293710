import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { decrypt, encrypt } from '../aes-gcm';
import type { Collection, Db } from 'mongodb';
import { newKeyId } from './sealed';

/** The master keys that wrap data keys: the same keys and ids as the payload codec's. */
export interface MasterKeys {
  /** New data keys are wrapped with this one. */
  currentId: string;
  keys: ReadonlyMap<string, Buffer>;
}

/**
 * One data key per data subject (a customer), created on first use, stored wrapped by a master key
 * (envelope encryption). Erasing the subject destroys the wrapped key; every value sealed under it
 * is unreadable from then on, wherever it was copied.
 */
export interface SubjectKeyDocument {
  _id: string;
  keyId: string;
  /** iv | wrapped key | tag, base64; null once erased. */
  wrapped: string | null;
  masterKeyId: string;
  createdAt: Date;
  erasedAt: Date | null;
  /** Keys this subject had before an erasure (a later order under the same id gets a new key). */
  erasedKeyIds?: string[];
}

export interface DataKey {
  keyId: string;
  key: Buffer;
}

export const subjectKeyCollection = (db: Db): Collection<SubjectKeyDocument> => db.collection<SubjectKeyDocument>('subject_keys', { writeConcern: { w: 'majority' }, readConcern: { level: 'majority' } });

export async function ensureSubjectKeyIndexes(db: Db): Promise<void> {
  await subjectKeyCollection(db).createIndex({ keyId: 1 }, { unique: true });
}

function wrap(master: MasterKeys, dataKey: Buffer, keyId: string): { wrapped: string; masterKeyId: string } {
  return { wrapped: encrypt(master.keys.get(master.currentId)!, dataKey, Buffer.from(keyId)).toString('base64'), masterKeyId: master.currentId };
}

function unwrap(master: MasterKeys, doc: Pick<SubjectKeyDocument, 'keyId' | 'wrapped' | 'masterKeyId'>): Buffer {
  const key = master.keys.get(doc.masterKeyId);
  if (!key) throw new Error(`data key ${doc.keyId} is wrapped with master key "${doc.masterKeyId}", which is not in PAYLOAD_KEYS`);
  return decrypt(key, Buffer.from(doc.wrapped!, 'base64'), Buffer.from(doc.keyId));
}

const duplicateKey = (err: unknown) => (err as { code?: number })?.code === 11000;

/**
 * The key store. Unwrapped keys are cached for `cacheMs`: an erasure is immediate in the process
 * that performs it and reaches the others within that time.
 */
export function createSubjectKeys(db: Db, master: MasterKeys, options: { cacheMs?: number } = {}) {
  const keys = subjectKeyCollection(db);
  const cacheMs = options.cacheMs ?? 30_000;
  const bySubject = new Map<string, { dataKey: DataKey; at: number }>();
  const byKeyId = new Map<string, { subject: string; key: Buffer | null; at: number }>();
  const fresh = (at: number) => Date.now() - at < cacheMs;

  const remember = (subject: string, doc: SubjectKeyDocument): DataKey | null => {
    const key = doc.wrapped ? unwrap(master, doc) : null;
    byKeyId.set(doc.keyId, { subject, key, at: Date.now() });
    if (!key) return null;
    const dataKey = { keyId: doc.keyId, key };
    bySubject.set(subject, { dataKey, at: Date.now() });
    return dataKey;
  };

  return {
    /** The subject's current data key, created if it has none (or none since an erasure). */
    async keyFor(subject: string): Promise<DataKey> {
      const cached = bySubject.get(subject);
      if (cached && fresh(cached.at)) return cached.dataKey;
      for (let attempt = 0; attempt < 5; attempt++) {
        const doc = await keys.findOne({ _id: subject });
        if (doc?.wrapped) return remember(subject, doc)!;
        const keyId = newKeyId();
        const created = { keyId, ...wrap(master, randomBytes(32), keyId), createdAt: new Date(), erasedAt: null };
        try {
          if (!doc) await keys.insertOne({ _id: subject, ...created });
          // After an erasure: a new key, the old one listed as erased. Conditional, so two
          // creators cannot both replace it.
          else await keys.updateOne({ _id: subject, keyId: doc.keyId, wrapped: null }, { $set: created, $push: { erasedKeyIds: doc.keyId } });
        } catch (err) {
          if (!duplicateKey(err)) throw err;
        }
      }
      throw new Error(`could not create a data key for subject ${subject}`);
    },

    /** The subject's current data key without creating one: null when it has none (never used, or erased). */
    async existingKeyFor(subject: string): Promise<DataKey | null> {
      const cached = bySubject.get(subject);
      if (cached && fresh(cached.at)) return cached.dataKey;
      const doc = await keys.findOne({ _id: subject });
      return doc?.wrapped ? remember(subject, doc) : null;
    },

    /** The id of the subject's latest data key, erased or not; null when it never had one. */
    async latestKeyId(subject: string): Promise<string | null> {
      return (await keys.findOne({ _id: subject }, { projection: { keyId: 1 } }))?.keyId ?? null;
    },

    /** The key a value was sealed under, or null once its subject is erased (or it is unknown). */
    async keyById(keyId: string): Promise<Buffer | null> {
      const cached = byKeyId.get(keyId);
      if (cached && fresh(cached.at)) return cached.key;
      const doc = await keys.findOne({ keyId });
      if (!doc) {
        byKeyId.set(keyId, { subject: '', key: null, at: Date.now() });
        return null;
      }
      return remember(doc._id, doc)?.key ?? null;
    },

    /** Destroys the subject's data key. Idempotent; answers whether there was a key to destroy. */
    async erase(subject: string): Promise<{ erased: boolean; erasedAt: Date | null }> {
      const erasedAt = new Date();
      const result = await keys.updateOne({ _id: subject, wrapped: { $ne: null } }, { $set: { wrapped: null, erasedAt } });
      const doc = await keys.findOne({ _id: subject });
      bySubject.delete(subject);
      for (const [keyId, entry] of byKeyId) if (entry.subject === subject) byKeyId.delete(keyId);
      if (doc) byKeyId.delete(doc.keyId);
      return { erased: result.modifiedCount > 0, erasedAt: doc?.erasedAt ?? null };
    },

    /** Rewraps every data key still wrapped with an older master key (after PAYLOAD_KEY_ID changed). */
    async rewrap(): Promise<number> {
      let count = 0;
      for await (const doc of keys.find({ wrapped: { $ne: null }, masterKeyId: { $ne: master.currentId } })) {
        const rewrapped = wrap(master, unwrap(master, doc), doc.keyId);
        const result = await keys.updateOne({ _id: doc._id, keyId: doc.keyId, wrapped: doc.wrapped }, { $set: rewrapped });
        count += result.modifiedCount;
      }
      return count;
    },
  };
}

export type SubjectKeys = ReturnType<typeof createSubjectKeys>;

/** A key of its own for the blind index, derived from the data key: erasing the data key unlinks the pseudonym too. */
export const blindIndexKey = (dataKey: Buffer) => Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), 'order-platform blind index', 32));

/** Outside production, without PAYLOAD_KEYS: a fixed development master key (never used in production, where PAYLOAD_KEYS is required). */
export const DEVELOPMENT_MASTER_KEYS: MasterKeys = { currentId: 'development', keys: new Map([['development', createHash('sha256').update('order-platform development master key').digest()]]) };
