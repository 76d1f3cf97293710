import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config';
import { AesGcmPayloadCodec } from '../../infra/payload-codec';

describe('payload encryption', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const payload = defaultPayloadConverter.toPayload({ line1: '1 Main St', customerId: 'c-1' });

  it('encrypts with the active key and decrypts to the same payload', async () => {
    const codec = new AesGcmPayloadCodec(new Map([['k1', oldKey]]), 'k1');
    const [sealed] = await codec.encode([payload]);
    expect(Buffer.from(sealed!.data!).toString('latin1')).not.toContain('Main St');
    const [opened] = await codec.decode([sealed!]);
    expect(defaultPayloadConverter.fromPayload(opened!)).toEqual({ line1: '1 Main St', customerId: 'c-1' });
  });

  it('rotates keys: new payloads use the new key, old ones still open with the old key kept', async () => {
    const before = new AesGcmPayloadCodec(new Map([['k1', oldKey]]), 'k1');
    const after = new AesGcmPayloadCodec(
      new Map([
        ['k1', oldKey],
        ['k2', newKey],
      ]),
      'k2',
    );
    const [old] = await before.encode([payload]);
    const [fresh] = await after.encode([payload]);
    expect(Buffer.from(fresh!.metadata!['encryption-key-id']!).toString()).toBe('k2');
    expect(defaultPayloadConverter.fromPayload((await after.decode([old!]))[0]!)).toEqual({
      line1: '1 Main St',
      customerId: 'c-1',
    });
    const onlyNew = new AesGcmPayloadCodec(new Map([['k2', newKey]]), 'k2');
    await expect(onlyNew.decode([old!])).rejects.toThrow(/key "k1"/);
  });

  it('refuses tampered ciphertext', async () => {
    const codec = new AesGcmPayloadCodec(new Map([['k1', oldKey]]), 'k1');
    const [sealed] = await codec.encode([payload]);
    const bytes = Buffer.from(sealed!.data!);
    bytes[20] = bytes[20]! ^ 0xff;
    await expect(codec.decode([{ ...sealed!, data: bytes }])).rejects.toThrow();
  });

  it('requires API keys, payload keys and the blind-index key in production, with clear messages', () => {
    try {
      loadConfig({ NODE_ENV: 'production' });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems.join('\n')).toMatch(
        /API_KEYS is required[\s\S]*PAYLOAD_KEYS is required[\s\S]*BLIND_INDEX_KEY is required/,
      );
    }
    expect(() => loadConfig({ PAYLOAD_KEYS: 'k1:short' })).toThrow(/32 random bytes/);
    expect(() => loadConfig({ API_KEYS: 'short:operator' })).toThrow(/16\+ chars/);
    const ok = loadConfig({
      NODE_ENV: 'production',
      API_KEYS: 'abcdefghijklmnop1234:operator,qrstuvwxyz0123456789:client:c-9',
      PAYLOAD_KEYS: `k1:${oldKey.toString('base64')}`,
      BLIND_INDEX_KEY: Buffer.alloc(32, 5).toString('base64'),
    });
    expect(ok.API_KEYS).toEqual([
      { key: 'abcdefghijklmnop1234', role: 'operator', customerId: undefined },
      { key: 'qrstuvwxyz0123456789', role: 'client', customerId: 'c-9' },
    ]);
  });
});
