import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { CommandStartedEvent } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { ERASED } from '../../../domain/personal-data';
import { createPersonalData, ensureSubjectKeyIndexes, type MasterKeys } from '../../../infra/personal-data';
import { keyIdOf } from '../../../infra/personal-data/sealed';
import { freshStore } from '../eventstore/fresh-db';

const master: MasterKeys = {
  currentId: 'm1',
  keys: new Map([['m1', randomBytes(32)]]),
  blindIndexKey: randomBytes(32),
};
const address = { line1: '3 Race Lane', city: 'Raceton', postalCode: '10101', country: 'US' };

/** The erasure's steps in the order the route runs them; a crash stops it after any of them. */
const ERASURE_STEPS = ['record', 'destroy', 'complete'] as const;

/**
 * An order taken by one process while another erases the same customer: the order's key lookup,
 * its sealing of the address and of the customer's id, and the erasure's steps interleaved every
 * way, the erasure stopping (a crash) after any step. Whatever the interleaving, the order is one
 * customer's or the other: all of it under the key that was live at its lookup, readable and found
 * by its pseudonym while that key lives, all `[erased]` and found by nothing once it is gone; never
 * part under the erased key and part under a key created after it.
 */
describe('an order racing an erasure of its customer', () => {
  it('is sealed under one key, the one live at its lookup, for every interleaving with the erasure and every crash point of it', async () => {
    const fresh = await freshStore();
    await ensureSubjectKeyIndexes(fresh.db);
    try {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.boolean(),
          fc.integer({ min: 1, max: ERASURE_STEPS.length }),
          fc.array(fc.integer({ min: 0, max: ERASURE_STEPS.length }), { minLength: 3, maxLength: 3 }),
          async (hadKey, stepsRun, positions) => {
            // Where, among the erasure's steps run, the order looks its key up, seals the address and seals the customer.
            const [lookupAt, addressAt, customerAt] = [...positions]
              .sort((x, y) => x - y)
              .map((p) => Math.min(p, stepsRun)) as [number, number, number];
            const subject = `racer-${run++}-${randomBytes(3).toString('hex')}`;
            const orders = createPersonalData(fresh.db, master);
            const eraser = createPersonalData(fresh.db, master);
            const earlier = hadKey ? await orders.seal(subject, 'an earlier order') : undefined;
            const keyBefore = earlier && keyIdOf(earlier);

            let sealer: Awaited<ReturnType<typeof orders.sealerFor>> | undefined;
            let shipping: typeof address | undefined;
            let customer: { customerId: string; customer: string } | undefined;
            let current: { keyId: string } | null = null;
            const orderSteps = async (at: number) => {
              if (lookupAt === at) sealer = await orders.sealerFor(subject);
              if (addressAt === at) shipping = sealer!.sealAddress(address);
              if (customerAt === at) customer = sealer!.customer();
            };
            for (let step = 0; step <= stepsRun; step++) {
              await orderSteps(step);
              if (step === stepsRun) break;
              const name = ERASURE_STEPS[step]!;
              if (name === 'record') current = await eraser.erasureSteps.record(subject, 'race');
              if (name === 'destroy' && current) await eraser.erasureSteps.destroy(subject, current.keyId);
              if (name === 'complete') await eraser.erasureSteps.complete(subject);
            }

            const sealedKeys = new Set([
              ...[shipping!.line1, shipping!.city, shipping!.postalCode, customer!.customerId].map(keyIdOf),
            ]);
            expect(sealedKeys.size, 'the order is sealed under one key').toBe(1);
            const orderKey = [...sealedKeys][0]!;
            const destroyedBeforeLookup = hadKey && stepsRun >= 2 && lookupAt >= 2;
            if (destroyedBeforeLookup)
              expect(
                orderKey,
                'an order looked up after the erasure destroyed the key is sealed under a new key',
              ).not.toBe(keyBefore);
            else if (hadKey)
              expect(orderKey, 'an order looked up while the key lived is sealed under it').toBe(keyBefore);

            const reader = createPersonalData(fresh.db, master);
            const live = await reader.pseudonymIfKnown(subject);
            const opened = await reader.openDeep({ shipping, customerId: customer!.customerId });
            if ((await fresh.db.collection('subject_keys').countDocuments({ keyId: orderKey })) === 1) {
              expect(opened, 'an order under the live key reads back whole').toEqual({
                shipping: address,
                customerId: subject,
              });
              expect(live, 'and is found by its pseudonym').toBe(customer!.customer);
            } else {
              expect(opened, 'an order under an erased key reads [erased] whole').toEqual({
                shipping: { ...address, line1: ERASED, city: ERASED, postalCode: ERASED },
                customerId: ERASED,
              });
              expect(live, 'and nothing finds it by pseudonym').not.toBe(customer!.customer);
            }
          },
        ),
        { numRuns: 60 },
      );
    } finally {
      await fresh.close();
    }
  }, 120_000);

  it('costs one read of the key store to seal an order, and one to open every value of an answer, whatever the number of keys', async () => {
    const fresh = await freshStore({ monitorCommands: true });
    await ensureSubjectKeyIndexes(fresh.db);
    const reads: CommandStartedEvent[] = [];
    fresh.client.on('commandStarted', (e) => {
      if (e.commandName === 'find' && e.command.find === 'subject_keys') reads.push(e);
    });
    try {
      const personalData = createPersonalData(fresh.db, master);
      const customers = Array.from({ length: 5 }, (_, i) => `reader-${i}-${randomBytes(3).toString('hex')}`);
      const answer = [];
      for (const c of customers) {
        const sealer = await personalData.sealerFor(c);
        answer.push({
          ...sealer.customer(),
          shippingAddress: sealer.sealAddress(address),
          note: `rejected: ${sealer.seal('not today')}`,
        });
      }
      reads.length = 0;
      const sealer = await personalData.sealerFor(customers[0]!);
      sealer.sealAddress(address);
      sealer.customer();
      expect(reads, 'sealing an order').toHaveLength(1);

      reads.length = 0;
      const opened = await personalData.openDeep(answer);
      expect(opened.map((o) => o.customerId)).toEqual(customers);
      expect(opened.every((o) => o.note === 'rejected: not today')).toBe(true);
      expect(reads, `opening ${answer.length * 6} values under ${customers.length} keys`).toHaveLength(1);
    } finally {
      await fresh.close();
    }
  });
});
