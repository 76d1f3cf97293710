import { createHmac } from 'node:crypto';
import type { Db } from 'mongodb';
import { ERASED, isSealed, SEALED_IN_TEXT, SEALED_PATTERN } from '../../domain/personal-data';
import { blindIndexOf } from './blind-index';
import { createErasure } from './erasure';
import { keyIdOf, openWith, sealWith } from './sealed';
import { createSubjectKeys, pseudonymKey, type MasterKeys } from './subject-keys';

export { ensureSubjectKeyIndexes, DEVELOPMENT_MASTER_KEYS, type MasterKeys } from './subject-keys';
export { DEVELOPMENT_BLIND_INDEX_FILE, DEVELOPMENT_KEY_FILE, masterKeysOf } from './master-keys';
export { forgetLegacySubjectIds } from './legacy-keys';

/** The parts of an address that identify a person; the country stays readable (shipping rules, analytics). */
const PERSONAL_ADDRESS_FIELDS = ['line1', 'city', 'postalCode'] as const;

const pseudonymWith = (dataKey: Buffer, subject: string) =>
  `bi1.${createHmac('sha256', pseudonymKey(dataKey)).update(subject).digest('base64url').slice(0, 32)}`;

/**
 * Personal data, sealed per data subject (crypto-shredding). Seal where personal data enters (the
 * API), open only where it must be read (the API's answers, the shipping check, the codec
 * endpoint for operators); `erase` destroys the subject's key, and everything sealed under it, in
 * events, histories, dead letters and read models alike, opens to ERASED from then on.
 */
export function createPersonalData(db: Db, master: MasterKeys) {
  const keys = createSubjectKeys(db, master);
  const index = blindIndexOf(master.blindIndexKey);
  const erasure = createErasure(db, keys, index);

  async function openOne(value: string): Promise<string> {
    const key = await keys.keyById(keyIdOf(value)!);
    return key ? openWith(key, value) : ERASED;
  }

  /** A sealed value opened; text that quotes sealed values has each of them opened in place. */
  async function open(value: string): Promise<string> {
    if (SEALED_PATTERN.test(value)) return openOne(value);
    const quoted = value.match(SEALED_IN_TEXT);
    if (!quoted) return value;
    const opened = new Map(await Promise.all([...new Set(quoted)].map(async (s) => [s, await openOne(s)] as const)));
    return value.replace(SEALED_IN_TEXT, (s) => opened.get(s)!);
  }

  async function openDeep<T>(value: T): Promise<T> {
    if (typeof value === 'string') return (await open(value)) as T;
    if (Array.isArray(value)) return (await Promise.all(value.map((v) => openDeep(v)))) as T;
    if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await openDeep(v)] as const));
      return Object.fromEntries(entries) as T;
    }
    return value;
  }

  /**
   * Seals with the subject's current key, looked up once: everything one request records about the
   * subject (an order's address, its customer's sealed id and pseudonym) names the same key. The
   * key was the subject's at the lookup; an erasure acknowledged before it is never sealed under,
   * and one that lands after it erases all of what is sealed here, not part of it.
   */
  async function sealerFor(subject: string) {
    const { keyId, key } = await keys.keyFor(subject);
    return {
      seal: (plaintext: string): string => sealWith(keyId, key, plaintext),
      /** The address with its personal fields sealed (already sealed fields are left as they are). */
      sealAddress<A extends Record<(typeof PERSONAL_ADDRESS_FIELDS)[number], string>>(address: A): A {
        const sealed: Record<string, string> = { ...address };
        for (const field of PERSONAL_ADDRESS_FIELDS)
          if (!isSealed(address[field])) sealed[field] = sealWith(keyId, key, address[field]);
        return sealed as A;
      },
      /**
       * How the customer is recorded wherever the platform stores it (saga input, events, services'
       * state, read models): the id sealed with the customer's key, for the few places that must
       * read it back, and the pseudonym, for filters and ownership checks: an HMAC of the id under
       * a key derived from the customer's own data key. Stable while the key exists; once it is
       * erased nothing links the pseudonym to the id any more, and the next key gives a new one.
       */
      customer: (): { customerId: string; customer: string } => ({
        customerId: sealWith(keyId, key, subject),
        customer: pseudonymWith(key, subject),
      }),
    };
  }

  return {
    sealerFor,

    async seal(subject: string, plaintext: string): Promise<string> {
      return (await sealerFor(subject)).seal(plaintext);
    },

    /** The address with its personal fields sealed (already sealed fields are left as they are). */
    async sealAddress<A extends Record<(typeof PERSONAL_ADDRESS_FIELDS)[number], string>>(
      subject: string,
      address: A,
    ): Promise<A> {
      return (await sealerFor(subject)).sealAddress(address);
    },

    open,
    /** Every sealed string anywhere in plain JSON-like data, opened. */
    openDeep,

    /** A sealed value that may be absent (null or undefined: null), opened. */
    async openOrNull(value: string | null | undefined): Promise<string | null> {
      return value === null || value === undefined ? null : open(value);
    },

    /**
     * The pseudonym for looking a subject up, without giving it a key: null when it has none, so a
     * filter by an unknown (or erased) customer finds nothing and creates nothing.
     */
    async pseudonymIfKnown(subject: string): Promise<string | null> {
      const dataKey = await keys.existingKeyFor(subject);
      return dataKey ? pseudonymWith(dataKey.key, subject) : null;
    },

    /** How the customer is recorded wherever the platform stores it (see sealerFor). */
    async customerOf(customerId: string): Promise<{ customerId: string; customer: string }> {
      return (await sealerFor(customerId)).customer();
    },

    /**
     * Destroys the subject's data key, with an audit record of who did it and when that names
     * neither the subject nor the key. Idempotent: answers whether this call destroyed a key and
     * when the subject's latest erasure happened.
     */
    // eslint-disable-next-line @typescript-eslint/unbound-method -- erase reads its store through a closure, not `this`
    erase: erasure.erase,
    /** The erasure's steps, each safe to repeat (erasure.ts), for tools and tests that stop between them. */
    erasureSteps: erasure.steps,
    /** How the audit records of the subject's erasures name it (a keyed hash; see blind-index.ts). */
    erasureSubject: index.erasureSubject,
    /** A request body's keyed digest, for idempotency records (they keep no body, and no hash a guess could be checked against). */
    requestDigest: index.requestDigest,
    // eslint-disable-next-line @typescript-eslint/unbound-method -- rewrap reads its store through a closure, not `this`
    rewrap: keys.rewrap,
  };
}

export type PersonalData = ReturnType<typeof createPersonalData>;
