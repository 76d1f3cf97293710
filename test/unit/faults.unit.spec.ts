import type { Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { faultInjectionOn, loadConfig } from '../../config';
import { createFaults } from '../../infra/faults';

/** A database that counts every operation the code under test asks of it. */
function countingDb() {
  let operations = 0;
  const collection = new Proxy({}, { get: () => () => (operations++, Promise.resolve(null)) });
  return { db: { collection: () => collection } as unknown as Db, operations: () => operations };
}

describe('fault injection', () => {
  it('costs no database operation per call or event when it is off', async () => {
    const { db, operations } = countingDb();
    const faults = createFaults(db, false);
    for (let i = 0; i < 100; i++) {
      await faults.failIfDown('payment');
      await faults.failIfDown('projection:orders', `order-${i}`);
      await faults.hangIfAsked('shipping');
      await faults.crashIfAsked('projection:sales');
    }
    expect(operations()).toBe(0);
    await expect(faults.inject('payment', { mode: 'error' })).rejects.toThrow(/off/);
  });

  it('reads the faults collection when it is on', async () => {
    const { db, operations } = countingDb();
    await createFaults(db, true).failIfDown('payment');
    expect(operations()).toBe(1);
  });

  it('is off in production and when FAULT_INJECTION=off, on otherwise', () => {
    expect(faultInjectionOn(loadConfig({}))).toBe(true);
    expect(faultInjectionOn(loadConfig({ FAULT_INJECTION: 'off' }))).toBe(false);
    expect(faultInjectionOn({ NODE_ENV: 'production', FAULT_INJECTION: 'on' })).toBe(false);
  });
});
