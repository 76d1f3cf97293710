import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERASED, isSealed } from '../../../domain/personal-data';
import { createPersonalData, ensureSubjectKeyIndexes, type MasterKeys } from '../../../infra/personal-data';
import { freshStore } from '../eventstore/fresh-db';

/** The blind-index secret stays when the master keys rotate. */
const blindIndexKey = randomBytes(32);
const masters = (currentId: string, keys: Record<string, Buffer>): MasterKeys => ({
  currentId,
  keys: new Map(Object.entries(keys)),
  blindIndexKey,
});

describe('personal data sealed per subject (crypto-shredding)', () => {
  it('opens what it sealed for any subjects and values, and erasing one subject turns only its values into the marker, wherever they were copied', async () => {
    const fresh = await freshStore();
    await ensureSubjectKeyIndexes(fresh.db);
    const m1 = masters('m1', { m1: randomBytes(32) });
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.stringMatching(/^[a-z0-9]{1,12}$/), { minLength: 2, maxLength: 4 }),
          fc.array(fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 60 })), { minLength: 1, maxLength: 12 }),
          fc.nat(),
          async (subjects, values, pick) => {
            // A process of its own per step: sealing in the API, opening elsewhere.
            const api = createPersonalData(fresh.db, m1);
            const reader = createPersonalData(fresh.db, m1);
            const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
            const sealed = await Promise.all(
              values.map(async ([i, text]) => ({
                subject: `${run}-${subjects[i % subjects.length]}`,
                text,
                sealed: await api.seal(`${run}-${subjects[i % subjects.length]}`, text),
              })),
            );
            for (const s of sealed) {
              expect(isSealed(s.sealed)).toBe(true);
              expect(s.sealed).not.toContain(s.subject);
              expect(await reader.open(s.sealed)).toBe(s.text);
            }
            // Copied into a document of any shape: opened in place.
            const copy = { nested: { list: sealed.map((s) => ({ value: s.sealed, n: 1 })) } };
            expect(await reader.openDeep(copy)).toEqual({
              nested: { list: sealed.map((s) => ({ value: s.text, n: 1 })) },
            });

            const erased = sealed[pick % sealed.length]!.subject;
            expect((await api.erase(erased, 'test')).erased).toBe(true);
            expect((await api.erase(erased, 'test')).erased, 'erasing again changes nothing').toBe(false);
            for (const s of sealed) expect(await reader.open(s.sealed)).toBe(s.subject === erased ? ERASED : s.text);

            // The same subject id later gets a new key; its old values stay erased, its new ones open.
            const again = await api.seal(erased, 'after');
            expect(await reader.open(again)).toBe('after');
            for (const s of sealed.filter((x) => x.subject === erased))
              expect(await reader.open(s.sealed)).toBe(ERASED);
          },
        ),
        { numRuns: 15 },
      );
    } finally {
      await fresh.close();
    }
  }, 60_000);

  it('gives each subject one key under concurrent first use, a pseudonym that erasure unlinks, and survives a master key rotation', async () => {
    const fresh = await freshStore();
    await ensureSubjectKeyIndexes(fresh.db);
    const old = randomBytes(32);
    const next = randomBytes(32);
    try {
      const before = createPersonalData(fresh.db, masters('m1', { m1: old }));
      const sealed = await Promise.all(Array.from({ length: 8 }, (_, i) => before.seal('racer', `v${i}`)));
      expect(new Set(sealed.map((s) => s.split('.')[1])).size, 'one data key, whoever created it').toBe(1);
      const stored = await fresh.db
        .collection('subject_keys')
        .find({ keyId: sealed[0]!.split('.')[1] })
        .toArray();
      expect(stored, 'one key document').toHaveLength(1);
      expect(JSON.stringify(stored), 'the key store holds a keyed hash of the subject, not the subject').not.toContain(
        'racer',
      );

      const pseudonym = (await before.customerOf('racer')).customer;
      expect(pseudonym).not.toContain('racer');
      expect((await before.customerOf('racer')).customer).toBe(pseudonym);
      expect((await before.customerOf('someone-else')).customer).not.toBe(pseudonym);

      // The master key rotates: keys are rewrapped, and the old master key can then be retired.
      const both = createPersonalData(fresh.db, masters('m2', { m1: old, m2: next }));
      expect(await both.rewrap()).toBeGreaterThanOrEqual(2);
      const after = createPersonalData(fresh.db, masters('m2', { m2: next }));
      expect(await Promise.all(sealed.map((s) => after.open(s)))).toEqual(sealed.map((_, i) => `v${i}`));

      expect((await after.customerOf('racer')).customer, 'the same key is found after the master key rotated').toBe(
        pseudonym,
      );

      expect((await after.erase('racer', 'test')).erased).toBe(true);
      expect(
        await fresh.db.collection('subject_keys').countDocuments({ keyId: sealed[0]!.split('.')[1] }),
        'the erased key document is gone',
      ).toBe(0);
      expect(
        (await after.customerOf('racer')).customer,
        'a new key, a new pseudonym: nothing links it to the erased one',
      ).not.toBe(pseudonym);
      expect(await after.open(sealed[0]!)).toBe(ERASED);
    } finally {
      await fresh.close();
    }
  });
});
