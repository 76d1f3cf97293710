import { decrypt, encrypt } from './aes-gcm';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encrypts every Temporal payload (workflow inputs, activity arguments and results, signals,
 * queries, memos) with AES-256-GCM before it leaves the process, so the Temporal server and its
 * database hold only ciphertext of them. Each payload names the key that sealed it: keys rotate by
 * adding a new one as the active key and keeping the old ones to read existing histories.
 *
 * Personal data inside payloads is sealed a second time, field by field, with its customer's own
 * key (infra/personal-data): this codec sees no customer, and erasing one must not make a whole
 * workflow input unreadable. Search attributes are not payloads and are never encrypted, so they
 * carry no personal data at all (CustomerId is a pseudonym).
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(
    private readonly keys: Map<string, Buffer>,
    private readonly activeKeyId: string,
  ) {
    if (!keys.has(activeKeyId)) throw new Error(`unknown active payload key ${activeKeyId}`);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.get(this.activeKeyId)!;
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const sealed = encrypt(key, plain);
      return {
        metadata: { encoding: encoder.encode(ENCRYPTED_ENCODING), [KEY_ID]: encoder.encode(this.activeKeyId) },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (decoder.decode(payload.metadata?.encoding ?? new Uint8Array()) !== ENCRYPTED_ENCODING) return payload;
      const keyId = decoder.decode(payload.metadata?.[KEY_ID] ?? new Uint8Array());
      const key = this.keys.get(keyId);
      if (!key) throw new Error(`payload was encrypted with key "${keyId}", which is not in PAYLOAD_KEYS`);
      const plain = decrypt(key, Buffer.from(payload.data ?? new Uint8Array()));
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}
