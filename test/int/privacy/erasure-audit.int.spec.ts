import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPersonalData, masterKeysOf } from '../../../infra/personal-data';
import { keyIdOf } from '../../../infra/personal-data/sealed';
import { useSagaStack } from '../../helpers/saga';
import { apiOf } from '../../helpers/stack';

/**
 * Every erasure is audited with who and when, even when the process performing it dies half-way:
 * the record is written before the key is destroyed and completed after, and a retry (erasing is
 * idempotent) completes whatever a crash left. The record names neither the customer nor the key.
 */
describe('the erasure audit record', () => {
  const t = useSagaStack();
  const open = (customerId: string, owner: string) =>
    apiOf(t.stack).POST('/accounts', { body: { customerId, owner, initialDeposit: 0 } });
  const erase = (customerId: string) =>
    apiOf(t.stack).DELETE('/customers/{customerId}/personal-data', { params: { path: { customerId } } });

  it('is complete and single after a clean erasure, after a crash before the key was destroyed, and after a crash right after it, and names neither the customer nor the key', async () => {
    const db = t.stack.mongo.db;
    const audit = db.collection('audit_log');
    const keys = db.collection('subject_keys');
    const personalData = createPersonalData(db, masterKeysOf(t.stack.config));
    // Where the erasing process died: nowhere, after writing the record, or after destroying the key.
    const crashes = ['none', 'after-record', 'after-destroy'] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...crashes), fc.integer({ min: 1, max: 3 }), async (crash, retries) => {
        const customerId = t.h.unique('audited').replaceAll('-', '_');
        const opened = await open(customerId, 'Audit Subject');
        expect(opened.response.status, JSON.stringify(opened.error)).toBe(201);
        const keyId = keyIdOf((await personalData.customerOf(customerId)).customerId)!;
        if (crash !== 'none') {
          // The steps the route runs, up to where the process died.
          const current = await personalData.erasureSteps.record(customerId, 'crashed');
          expect(current?.keyId).toBe(keyId);
          if (crash === 'after-destroy') expect(await personalData.erasureSteps.destroy(customerId, keyId)).toBe(true);
        }
        const answers = [];
        for (let i = 0; i < retries; i++) answers.push(await erase(customerId));
        for (const a of answers) expect(a.response.status, JSON.stringify(a.error)).toBe(200);
        // Exactly one call erased, unless the crashed process already had.
        expect(answers.filter((a) => a.data?.erased).length).toBe(crash === 'after-destroy' ? 0 : 1);
        expect(await keys.countDocuments({ keyId }), 'the key is gone').toBe(0);
        const records = await audit
          .find({ action: 'erase-personal-data', subject: personalData.erasureSubject(customerId) })
          .toArray();
        expect(records).toHaveLength(1);
        const record = records[0]!;
        expect(record).toMatchObject({ by: expect.any(String), requestedAt: expect.any(Date), at: expect.any(Date) });
        expect(Object.keys(record).sort()).toEqual(['_id', 'action', 'at', 'by', 'requestedAt', 'subject']);
        expect(JSON.stringify(record), 'the record names the customer or the key').not.toMatch(
          new RegExp(`${customerId}|${keyId}`),
        );
        for (const a of answers) expect(new Date(a.data!.erasedAt as string)).toEqual(record.at);
      }),
      { numRuns: 9 },
    );
  }, 120_000);

  it('records each erasure of a customer id once: a later key of the same id gets a record of its own', async () => {
    const customerId = t.h.unique('returning').replaceAll('-', '_');
    const personalData = createPersonalData(t.stack.mongo.db, masterKeysOf(t.stack.config));
    const erasures = [];
    for (let round = 0; round < 2; round++) {
      expect((await open(customerId, `Round ${round}`)).response.status).toBe(201);
      const erasure = await erase(customerId);
      expect(erasure.data).toMatchObject({ erased: true });
      erasures.push(erasure.data!.erasedAt);
    }
    const again = await erase(customerId);
    expect(again.data, 'a repeat answers the latest erasure').toMatchObject({ erased: false, erasedAt: erasures[1] });
    const records = await t.stack.mongo.db
      .collection('audit_log')
      .find({ subject: personalData.erasureSubject(customerId) })
      .sort({ at: 1 })
      .toArray();
    expect(records.map((r) => (r.at as Date).toISOString())).toEqual(erasures);
    expect(new Set(records.map((r) => r._id)).size).toBe(2);
  });
});
