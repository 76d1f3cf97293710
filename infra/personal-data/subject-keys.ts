import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { decrypt, encrypt } from '../aes-gcm';
import DataLoader from 'dataloader';
import type { Collection, Db } from 'mongodb';
import { blindIndexOf } from './blind-index';
import { newKeyId } from './sealed';

/** The secrets of personal data: the master keys that wrap data keys, and the blind index's own. */
export interface MasterKeys {
  /** New data keys are wrapped with this one. */
  currentId: string;
  /** The same keys and ids as the payload codec's. */
  keys: ReadonlyMap<string, Buffer>;
  /** The secret data keys are found under (blind-index.ts); no master key rotation touches it. */
  blindIndexKey: Buffer;
}

/**
 * One data key per data subject (a customer), created on first use, stored wrapped by a master key
 * (envelope encryption) under a keyed hash of the subject: the store never holds the subject's id.
 * Erasing the subject deletes the document; every value sealed under the key is unreadable from
 * then on, wherever it was copied, and nothing leads from the subject to the key any more.
 */
export interface SubjectKeyDocument {
  /** The blind index of the subject (BlindIndex.keyDocumentId). */
  _id: string;
  keyId: string;
  /** iv | wrapped key | tag, base64. */
  wrapped: string;
  masterKeyId: string;
  createdAt: Date;
  /**
   * A random id for the audit record of this key's erasure: the same for every retry of one
   * erasure, and linked to nothing once the key is gone.
   */
  erasureId: string;
}

export interface DataKey {
  keyId: string;
  key: Buffer;
}

export const subjectKeyCollection = (db: Db): Collection<SubjectKeyDocument> =>
  db.collection<SubjectKeyDocument>('subject_keys', {
    writeConcern: { w: 'majority' },
    readConcern: { level: 'majority' },
  });

export async function ensureSubjectKeyIndexes(db: Db): Promise<void> {
  await subjectKeyCollection(db).createIndex({ keyId: 1 }, { unique: true });
  await db.collection('audit_log').createIndex({ subject: 1 }, { sparse: true });
}

/** A fresh id for the audit record of an erasure (16 random bytes, base64url). */
export const newErasureId = () => randomBytes(16).toString('base64url');

/**
 * The key id a data key has while it is moved from a document keyed by a plain id to one keyed by
 * the blind index (legacy-keys.ts): the unique index allows one document per key id, and lookups
 * by key id find the key under either name throughout.
 */
const MOVING = 'moving.';
export const movingKeyId = (keyId: string) => `${MOVING}${keyId}`;
/** The key id a document holds the key for, whether or not it is being moved. */
export const keyIdOfDocument = (doc: Pick<SubjectKeyDocument, 'keyId'>) =>
  doc.keyId.startsWith(MOVING) ? doc.keyId.slice(MOVING.length) : doc.keyId;

export function wrap(master: MasterKeys, dataKey: Buffer, keyId: string): { wrapped: string; masterKeyId: string } {
  return {
    wrapped: encrypt(master.keys.get(master.currentId)!, dataKey, Buffer.from(keyId)).toString('base64'),
    masterKeyId: master.currentId,
  };
}

function unwrap(master: MasterKeys, doc: Pick<SubjectKeyDocument, 'keyId' | 'wrapped' | 'masterKeyId'>): Buffer {
  const keyId = keyIdOfDocument(doc);
  const key = master.keys.get(doc.masterKeyId);
  if (!key)
    throw new Error(`data key ${keyId} is wrapped with master key "${doc.masterKeyId}", which is not in PAYLOAD_KEYS`);
  return decrypt(key, Buffer.from(doc.wrapped, 'base64'), Buffer.from(keyId));
}

const duplicateKey = (err: unknown) => (err as { code?: number })?.code === 11000;

/**
 * The key store. Nothing is cached between lookups: an erasure deletes the key document, and every
 * process, whatever it looked up before, seals nothing more under that key and opens nothing
 * sealed under it from the moment the deletion is acknowledged. A seal costs one read by `_id`; the
 * lookups of one answer (every value it opens, in the same tick) are batched into one read by key id.
 */
export function createSubjectKeys(db: Db, master: MasterKeys) {
  const keys = subjectKeyCollection(db);
  const index = blindIndexOf(master.blindIndexKey);

  const keysById = new DataLoader<string, Buffer | null>(
    async (keyIds) => {
      const wanted = [...new Set(keyIds)];
      const docs = await keys
        .find(
          { keyId: { $in: [...wanted, ...wanted.map(movingKeyId)] } },
          { projection: { keyId: 1, wrapped: 1, masterKeyId: 1 } },
        )
        .toArray();
      const found = new Map(
        docs.map((doc): [string, Buffer | Error] => {
          try {
            return [keyIdOfDocument(doc), unwrap(master, doc)];
          } catch (err) {
            return [keyIdOfDocument(doc), err as Error];
          }
        }),
      );
      return keyIds.map((keyId) => found.get(keyId) ?? null);
    },
    // Batching only: a key remembered past its answer could open values after their erasure.
    { cache: false },
  );

  return {
    /** The subject's current data key, created if it has none (never had one, or erased since). */
    async keyFor(subject: string): Promise<DataKey> {
      const _id = index.keyDocumentId(subject);
      for (let attempt = 0; attempt < 5; attempt++) {
        const doc = await keys.findOne({ _id });
        if (doc) return { keyId: doc.keyId, key: unwrap(master, doc) };
        const keyId = newKeyId();
        try {
          // The unique _id makes one key per subject, whoever creates it first.
          await keys.insertOne({
            _id,
            keyId,
            ...wrap(master, randomBytes(32), keyId),
            createdAt: new Date(),
            erasureId: newErasureId(),
          });
        } catch (err) {
          if (!duplicateKey(err)) throw err;
        }
      }
      throw new Error('could not create a data key for a subject');
    },

    /** The subject's current data key without creating one: null when it has none (never used, or erased). */
    async existingKeyFor(subject: string): Promise<DataKey | null> {
      const doc = await keys.findOne({ _id: index.keyDocumentId(subject) });
      return doc ? { keyId: doc.keyId, key: unwrap(master, doc) } : null;
    },

    /** The ids of the subject's current key and of its erasure's audit record; null when it has no key. */
    async current(subject: string): Promise<{ keyId: string; erasureId: string } | null> {
      return keys.findOne({ _id: index.keyDocumentId(subject) }, { projection: { _id: 0, keyId: 1, erasureId: 1 } });
    },

    /** The key a value was sealed under, or null once its subject is erased (or it is unknown). */
    keyById: (keyId: string): Promise<Buffer | null> => keysById.load(keyId),

    /**
     * Destroys the subject's data key `keyId` by deleting its document (only that key: one created
     * after it stays). Answers whether this call destroyed it.
     */
    async destroy(subject: string, keyId: string): Promise<boolean> {
      const deleted = await keys.deleteOne({ _id: index.keyDocumentId(subject), keyId });
      return deleted.deletedCount > 0;
    },

    /** Rewraps every data key still wrapped with an older master key (after PAYLOAD_KEY_ID changed). */
    async rewrap(): Promise<number> {
      let count = 0;
      // Documents keyed by a plain id are rewrapped too (legacy-keys.ts moves them; an erased one has no key).
      for await (const doc of keys.find({ wrapped: { $type: 'string' }, masterKeyId: { $ne: master.currentId } })) {
        const rewrapped = wrap(master, unwrap(master, doc), keyIdOfDocument(doc));
        const result = await keys.updateOne(
          { _id: doc._id, keyId: doc.keyId, wrapped: doc.wrapped },
          { $set: rewrapped },
        );
        count += result.modifiedCount;
      }
      return count;
    },
  };
}

export type SubjectKeys = ReturnType<typeof createSubjectKeys>;

/** A key of its own for the pseudonym, derived from the data key: erasing the data key unlinks the pseudonym too. */
export const pseudonymKey = (dataKey: Buffer) =>
  Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), 'order-platform blind index', 32));

/** Outside production, without PAYLOAD_KEYS and BLIND_INDEX_KEY: fixed development keys (never used in production, where both are required). */
export const DEVELOPMENT_MASTER_KEYS: MasterKeys = {
  currentId: 'development',
  keys: new Map([['development', createHash('sha256').update('order-platform development master key').digest()]]),
  blindIndexKey: createHash('sha256').update('order-platform development blind-index key').digest(),
};
