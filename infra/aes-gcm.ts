import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM as every encryption in the platform uses it (Temporal payloads, personal fields,
 * wrapped data keys): `iv (12 bytes) | ciphertext | tag (16 bytes)`, with optional associated data
 * that must be the same to decrypt.
 */
export function encrypt(key: Buffer, plain: Uint8Array, aad?: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (aad) cipher.setAAD(aad);
  return Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

/** The plaintext; throws if the body was tampered with, or the key or associated data differ. */
export function decrypt(key: Buffer, body: Buffer, aad?: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, 12));
  if (aad) decipher.setAAD(aad);
  decipher.setAuthTag(body.subarray(body.length - 16));
  return Buffer.concat([decipher.update(body.subarray(12, body.length - 16)), decipher.final()]);
}
