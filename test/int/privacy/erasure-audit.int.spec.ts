import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPersonalData, masterKeysOf } from '../../../infra/personal-data';
import { useSagaStack } from '../../helpers/saga';
import { http } from '../../helpers/stack';

/**
 * Every erasure is audited with who, when and which key, even when the process performing it dies
 * half-way: the record is written before the key is destroyed and completed after, and a retry
 * (erasing is idempotent) completes whatever a crash left.
 */
describe('the erasure audit record', () => {
  const t = useSagaStack();

  it('is complete and single after a clean erasure, after a crash before the key was destroyed, and after a crash right after it', async () => {
    const db = t.stack.mongo.db;
    const audit = db.collection('audit_log');
    const keys = db.collection('subject_keys');
    // Where the erasing process died: nowhere, after writing the record, or after destroying the key.
    const crashes = ['none', 'after-record', 'after-erase'] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...crashes), fc.integer({ min: 1, max: 3 }), async (crash, retries) => {
        const customerId = t.h.unique('audited').replaceAll('-', '_');
        const opened = await http(t.stack.baseUrl, 'POST', '/accounts', { customerId, owner: 'Audit Subject', initialDeposit: 0 });
        expect(opened.status, opened.text).toBe(201);
        const keyId = (await keys.findOne({ _id: customerId as never }))!.keyId as string;
        if (crash === 'after-record') {
          // What the route writes first, and then nothing more.
          await audit.updateOne({ _id: `erase-personal-data:${keyId}` as never }, { $setOnInsert: { action: 'erase-personal-data', customerId, keyId, requestedAt: new Date(), by: 'crashed' } }, { upsert: true });
        }
        if (crash === 'after-erase') await createPersonalData(db, masterKeysOf(t.stack.config), { cacheMs: 0 }).erase(customerId);
        const answers = [];
        for (let i = 0; i < retries; i++) answers.push(await http(t.stack.baseUrl, 'DELETE', `/customers/${customerId}/personal-data`));
        for (const a of answers) expect(a.status, a.text).toBe(200);
        // Exactly one call erased, unless the crashed process already had.
        expect(answers.filter((a) => a.body.erased).length).toBe(crash === 'after-erase' ? 0 : 1);
        expect((await keys.findOne({ _id: customerId as never }))!.wrapped).toBeNull();
        const records = await audit.find({ action: 'erase-personal-data', customerId }).toArray();
        expect(records).toHaveLength(1);
        expect(records[0]).toMatchObject({ keyId, by: expect.any(String), requestedAt: expect.any(Date), at: expect.any(Date) });
      }),
      { numRuns: 9 },
    );
  }, 120_000);
});
