import type { Db } from 'mongodb';
import { blindIndexOf, KEY_DOCUMENT_PREFIX } from './blind-index';
import { ERASURE_ACTION, erasureRecordId, type ErasureRecord } from './erasure';
import { keyIdOfDocument, movingKeyId, newErasureId, subjectKeyCollection, type MasterKeys } from './subject-keys';

/** A data key document as it was before the blind index: keyed by the plain subject id, kept after erasure. */
interface LegacyKeyDocument {
  _id: string;
  keyId: string;
  wrapped: string | null;
  masterKeyId: string;
  createdAt: Date;
  erasedAt?: Date | null;
  erasedKeyIds?: string[];
}

/** An erasure's audit record as it was before: naming the customer and the key. */
interface LegacyErasureRecord {
  _id: string;
  action: typeof ERASURE_ACTION;
  customerId?: string;
  keyId: string;
  by: string;
  requestedAt: Date;
  at?: Date;
  /** The `_id` of the record that replaces this one, chosen once so that an interrupted move is finished, not repeated. */
  movedTo?: string;
}

const duplicateKey = (err: unknown) => (err as { code?: number })?.code === 11000;

/**
 * Before the blind index, `subject_keys` was keyed by the plain customer id and kept erased keys'
 * ids, and each erasure's audit record named the customer and the key. This moves every live key
 * under the blind index (its key id unchanged, so every sealed value still opens), deletes the
 * documents of erased keys, and rewrites those audit records to name neither. Every process runs
 * it as it opens the database, before it serves; it is safe in several processes at once and when
 * interrupted anywhere. Answers how many documents it moved or deleted.
 */
export async function forgetLegacySubjectIds(db: Db, master: MasterKeys): Promise<number> {
  const index = blindIndexOf(master.blindIndexKey);
  const keys = subjectKeyCollection(db);
  const legacyKeys = db.collection<LegacyKeyDocument>('subject_keys', {
    writeConcern: { w: 'majority' },
    readConcern: { level: 'majority' },
  });
  const audit = db.collection<LegacyErasureRecord>('audit_log');
  const records = db.collection<ErasureRecord>('audit_log');
  let count = 0;

  for await (const legacy of legacyKeys.find({ _id: { $lt: KEY_DOCUMENT_PREFIX } })) {
    count++;
    if (legacy.wrapped === null) {
      await legacyKeys.deleteOne({ _id: legacy._id, wrapped: null });
      continue;
    }
    const keyId = keyIdOfDocument(legacy);
    // The key id is renamed first, for the unique index; lookups by key id find either name.
    if (legacy.keyId === keyId)
      await legacyKeys.updateOne({ _id: legacy._id, keyId }, { $set: { keyId: movingKeyId(keyId) } });
    const _id = index.keyDocumentId(legacy._id);
    try {
      await keys.insertOne({
        _id,
        keyId,
        wrapped: legacy.wrapped,
        masterKeyId: legacy.masterKeyId,
        createdAt: legacy.createdAt,
        erasureId: newErasureId(),
      });
    } catch (err) {
      if (!duplicateKey(err)) throw err;
    }
    const moved = await keys.findOne({ _id });
    if (moved?.keyId !== keyId) {
      // Only processes of two versions writing at once can get here; deleting either key would lose data.
      throw new Error(
        `subject_keys holds two data keys for one subject (${keyId} under its plain id, ${moved?.keyId ?? 'none'} under its blind index): stop every process of the earlier version, then erase that subject or remove one key by hand`,
      );
    }
    await legacyKeys.deleteOne({ _id: legacy._id });
  }

  for await (const record of audit.find({ action: ERASURE_ACTION, customerId: { $exists: true } })) {
    count++;
    let target = record.movedTo;
    if (target === undefined) {
      // A record of an erasure still under way takes the id the key now carries, so its retry completes this one.
      const live = record.at ? null : await keys.findOne({ keyId: record.keyId }, { projection: { erasureId: 1 } });
      await audit.updateOne(
        { _id: record._id, movedTo: { $exists: false } },
        { $set: { movedTo: erasureRecordId(live?.erasureId ?? newErasureId()) } },
      );
      target = (await audit.findOne({ _id: record._id }))?.movedTo;
      if (target === undefined) continue; // moved and deleted by another process meanwhile
    }
    const moved: Omit<ErasureRecord, '_id'> = {
      action: ERASURE_ACTION,
      subject: index.erasureSubject(record.customerId!),
      by: record.by,
      requestedAt: record.requestedAt,
      ...(record.at && { at: record.at }),
    };
    await records.updateOne({ _id: target }, { $setOnInsert: moved }, { upsert: true });
    await audit.deleteOne({ _id: record._id });
  }
  return count;
}
