import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config';
import { AesGcmPayloadCodec } from './payload-codec';

/**
 * The data converter every Temporal client, worker and replayer of this platform uses. One place,
 * so payload encoding changes everywhere at once: with PAYLOAD_KEYS set (required in production),
 * payloads are encrypted; without, they stay readable JSON (local development and tests).
 */
export function dataConverter(config: Config): DataConverter {
  const codec = payloadCodec(config);
  return codec ? { payloadCodecs: [codec] } : {};
}

export function payloadCodec(config: Config): AesGcmPayloadCodec | undefined {
  if (!config.PAYLOAD_KEYS?.size) return undefined;
  return new AesGcmPayloadCodec(config.PAYLOAD_KEYS, config.PAYLOAD_KEY_ID ?? [...config.PAYLOAD_KEYS.keys()][0]!);
}
