import { randomBytes } from 'node:crypto';
import { decrypt, encrypt } from '../aes-gcm';
import { SEALED_PATTERN as SEALED } from '../../domain/personal-data';

/**
 * Sealing and opening one value (the format is described in domain/personal-data.ts): AES-256-GCM
 * with the key id as associated data, so a value cannot be moved under another key.
 */
const SEALED_PREFIX = 'pd1.';

/** The key id a sealed value was sealed under, or null if it is not a sealed value. */
export const keyIdOf = (value: string): string | null => SEALED.exec(value)?.[1] ?? null;

export function sealWith(keyId: string, key: Buffer, plaintext: string): string {
  const body = encrypt(key, Buffer.from(plaintext, 'utf8'), Buffer.from(keyId));
  return `${SEALED_PREFIX}${keyId}.${body.toString('base64url')}`;
}

/** The plaintext; throws if the value was tampered with or sealed under another key. */
export function openWith(key: Buffer, sealed: string): string {
  const match = SEALED.exec(sealed);
  if (!match) throw new Error('not a sealed value');
  return decrypt(key, Buffer.from(match[2]!, 'base64url'), Buffer.from(match[1]!)).toString('utf8');
}

/** A fresh data key id: 16 random bytes, base64url (22 characters). */
export const newKeyId = () => randomBytes(16).toString('base64url');
