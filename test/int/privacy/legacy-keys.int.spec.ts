import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ERASED } from '../../../domain/personal-data';
import {
  createPersonalData,
  ensureSubjectKeyIndexes,
  forgetLegacySubjectIds,
  type MasterKeys,
} from '../../../infra/personal-data';
import { keyIdOf } from '../../../infra/personal-data/sealed';
import { freshStore } from '../eventstore/fresh-db';

const master: MasterKeys = {
  currentId: 'm1',
  keys: new Map([['m1', randomBytes(32)]]),
  blindIndexKey: randomBytes(32),
};

/**
 * A database from before the blind index: data keys under plain customer ids (erased ones kept,
 * with the ids of the keys erased), and erasure audit records naming the customer and the key.
 */
describe('data keys stored under plain customer ids', () => {
  it('move under the blind index with every sealed value still opening and every pseudonym the same, erased ones and old audit records stop naming anyone, also when interrupted and run twice at once', async () => {
    const fresh = await freshStore();
    const db = fresh.db;
    await ensureSubjectKeyIndexes(db);
    const keys = db.collection<Record<string, unknown> & { _id: string }>('subject_keys');
    const audit = db.collection<Record<string, unknown> & { _id: string }>('audit_log');
    const personalData = createPersonalData(db, master);
    try {
      // Alice and Bob have live keys, sealed values and pseudonyms; each key is put back as it was stored then.
      const live = ['alice_legacy', 'bob_legacy'];
      const before = new Map<string, { sealed: string; pseudonym: string; keyId: string }>();
      for (const subject of live) {
        const sealed = await personalData.seal(subject, `${subject} lives here`);
        const keyId = keyIdOf(sealed)!;
        const { customer } = await personalData.customerOf(subject);
        before.set(subject, { sealed, pseudonym: customer, keyId });
        const doc = (await keys.findOne({ keyId }))!;
        await keys.deleteOne({ _id: doc._id });
        await keys.insertOne({
          _id: subject,
          keyId,
          wrapped: doc.wrapped,
          masterKeyId: doc.masterKeyId,
          createdAt: doc.createdAt,
          erasedAt: null,
          erasedKeyIds: ['AAAAAAAAAAAAAAAAAAAAAA'],
        });
      }
      const alice = before.get('alice_legacy')!;
      const bob = before.get('bob_legacy')!;
      // Carol was erased then, with a complete audit record; Bob's erasure died after its record was written.
      const erasedKeyId = 'CCCCCCCCCCCCCCCCCCCCCC';
      await keys.insertOne({
        _id: 'carol_legacy',
        keyId: erasedKeyId,
        wrapped: null,
        masterKeyId: 'm1',
        createdAt: new Date(0),
        erasedAt: new Date(1_000),
        erasedKeyIds: [],
      });
      await audit.insertOne({
        _id: `erase-personal-data:${erasedKeyId}`,
        action: 'erase-personal-data',
        customerId: 'carol_legacy',
        keyId: erasedKeyId,
        requestedAt: new Date(900),
        by: 'key-carol',
        at: new Date(1_000),
      });
      await audit.insertOne({
        _id: `erase-personal-data:${bob.keyId}`,
        action: 'erase-personal-data',
        customerId: 'bob_legacy',
        keyId: bob.keyId,
        requestedAt: new Date(2_000),
        by: 'key-bob',
      });
      // A move that was interrupted after its first step: Alice's key renamed, not yet moved.
      await keys.updateOne({ _id: 'alice_legacy' }, { $set: { keyId: `moving.${alice.keyId}` } });
      expect(await personalData.open(alice.sealed), 'a key being moved still opens its values').toBe(
        'alice_legacy lives here',
      );

      const counts = await Promise.all([forgetLegacySubjectIds(db, master), forgetLegacySubjectIds(db, master)]);
      expect(
        counts.reduce((a, b) => a + b, 0),
        'the documents to move were found',
      ).toBeGreaterThanOrEqual(5);
      expect(await forgetLegacySubjectIds(db, master), 'nothing is left to move').toBe(0);

      const stored = JSON.stringify([await keys.find().toArray(), await audit.find().toArray()]);
      for (const subject of ['alice_legacy', 'bob_legacy', 'carol_legacy'])
        expect(stored, `the key store or the audit log names ${subject}`).not.toContain(subject);
      expect(stored).not.toContain(erasedKeyId);
      expect(stored, 'the ids of erased keys are forgotten').not.toContain('AAAAAAAAAAAAAAAAAAAAAA');
      for (const [subject, was] of before) {
        expect(await personalData.open(was.sealed)).toBe(`${subject} lives here`);
        expect((await personalData.customerOf(subject)).customer, `${subject} keeps their pseudonym`).toBe(
          was.pseudonym,
        );
      }
      const carol = await audit.find({ subject: personalData.erasureSubject('carol_legacy') }).toArray();
      expect(carol).toEqual([
        {
          _id: expect.stringMatching(/^erase-personal-data:/),
          action: 'erase-personal-data',
          subject: personalData.erasureSubject('carol_legacy'),
          by: 'key-carol',
          requestedAt: new Date(900),
          at: new Date(1_000),
        },
      ]);

      // Bob's erasure is retried: it completes the record its first attempt wrote, and adds none.
      expect(await personalData.erase('bob_legacy', 'key-retry')).toMatchObject({ erased: true });
      expect(await personalData.open(bob.sealed)).toBe(ERASED);
      const bobs = await audit.find({ subject: personalData.erasureSubject('bob_legacy') }).toArray();
      expect(bobs).toHaveLength(1);
      expect(bobs[0]).toMatchObject({ by: 'key-bob', requestedAt: new Date(2_000), at: expect.any(Date) });
      expect(await personalData.erase('alice_legacy', 'key-alice')).toMatchObject({ erased: true });
      expect(await personalData.open(alice.sealed)).toBe(ERASED);
      expect(await keys.countDocuments(), 'no key is left behind').toBe(0);
    } finally {
      await fresh.close();
    }
  });
});
