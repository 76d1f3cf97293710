import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEVELOPMENT_MASTER_KEYS, type MasterKeys } from './subject-keys';

export interface MasterKeyConfig {
  PAYLOAD_KEYS?: ReadonlyMap<string, Buffer>;
  PAYLOAD_KEY_ID?: string;
  NODE_ENV?: 'development' | 'test' | 'production';
  DATA_DIR?: string;
}

/** The file under DATA_DIR that holds the development master key (base64 of 32 random bytes). */
export const DEVELOPMENT_KEY_FILE = 'personal-data-master.key';

const loaded = new Map<string, MasterKeys>();

/**
 * The master keys that wrap every customer's data key:
 * - PAYLOAD_KEYS / PAYLOAD_KEY_ID when set, the same keys and ids as the payload codec (production
 *   refuses to start without them, config/index.ts);
 * - otherwise, in development, a key of this installation's own, generated into DATA_DIR on first
 *   start with a warning, so `npm start` needs no setup and no key is shared with anyone who has
 *   the source; the processes of one installation read the same file;
 * - in tests, a fixed key (nothing is written outside the test's own database).
 * The fixed key is also kept for reading, so development data from before the generated key
 * still opens, and `npm run keys:rewrap` moves it to the new one.
 */
export function masterKeysOf(config: MasterKeyConfig, warn: (message: string) => void = (m) => process.emitWarning(m)): MasterKeys {
  if (config.PAYLOAD_KEYS?.size) return { currentId: config.PAYLOAD_KEY_ID ?? [...config.PAYLOAD_KEYS.keys()][0]!, keys: config.PAYLOAD_KEYS };
  if (config.NODE_ENV === 'test' || config.NODE_ENV === 'production' || !config.DATA_DIR) return DEVELOPMENT_MASTER_KEYS;
  const file = path.resolve(config.DATA_DIR, DEVELOPMENT_KEY_FILE);
  const known = loaded.get(file);
  if (known) return known;
  let encoded: string;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    encoded = randomBytes(32).toString('base64');
    // Exclusive create: of several processes starting at once, one writes and the others read it.
    writeFileSync(file, `${encoded}\n`, { flag: 'wx', mode: 0o600 });
    warn(`Generated a development master key for personal data at ${file}: data sealed in ${config.DATA_DIR} can only be read with it. Production requires PAYLOAD_KEYS.`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    encoded = readFileSync(file, 'utf8').trim();
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== 32) throw new Error(`${file} does not hold a base64 256-bit key; delete it (and the data sealed with it) to start afresh`);
  const id = `dev-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
  const keys: MasterKeys = { currentId: id, keys: new Map([[id, key], ...DEVELOPMENT_MASTER_KEYS.keys]) };
  loaded.set(file, keys);
  return keys;
}
