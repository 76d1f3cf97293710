import { createHash } from 'node:crypto';
import path from 'node:path';
import { installationKey } from './installation-key';
import { DEVELOPMENT_MASTER_KEYS, type MasterKeys } from './subject-keys';

export interface MasterKeyConfig {
  PAYLOAD_KEYS?: ReadonlyMap<string, Buffer>;
  PAYLOAD_KEY_ID?: string;
  BLIND_INDEX_KEY?: Buffer;
  NODE_ENV?: 'development' | 'test' | 'production';
  DATA_DIR?: string;
}

/** The file under DATA_DIR that holds the development master key (base64 of 32 random bytes). */
export const DEVELOPMENT_KEY_FILE = 'personal-data-master.key';
/** The file under DATA_DIR that holds the development blind-index secret (base64 of 32 random bytes). */
export const DEVELOPMENT_BLIND_INDEX_FILE = 'personal-data-index.key';

/** Tests, production (whose configuration requires the keys) and processes without a DATA_DIR use the fixed keys. */
const usesFixedKeys = (config: MasterKeyConfig) =>
  config.NODE_ENV === 'test' || config.NODE_ENV === 'production' || !config.DATA_DIR;

/**
 * The secrets that guard every customer's personal data: the master keys that wrap their data
 * keys, and the blind-index secret under which their data keys are found.
 * - PAYLOAD_KEYS / PAYLOAD_KEY_ID when set, the same keys and ids as the payload codec; and
 *   BLIND_INDEX_KEY, a secret of its own, so that rotating the master keys never changes where a
 *   data key is found (production refuses to start without either, config/index.ts);
 * - otherwise, in development, keys of this installation's own, generated into DATA_DIR on first
 *   start with a warning, so `npm start` needs no setup and no key is shared with anyone who has
 *   the source; the processes of one installation read the same files;
 * - in tests, fixed keys (nothing is written outside the test's own database).
 * The fixed master key is also kept for reading, so development data from before the generated key
 * still opens, and `npm run keys:rewrap` moves it to the new one.
 */
export function masterKeysOf(
  config: MasterKeyConfig,
  warn: (message: string) => void = (m) => process.emitWarning(m),
): MasterKeys {
  const blindIndexKey =
    config.BLIND_INDEX_KEY ??
    (usesFixedKeys(config)
      ? DEVELOPMENT_MASTER_KEYS.blindIndexKey
      : generated(config, DEVELOPMENT_BLIND_INDEX_FILE, warn));
  if (config.PAYLOAD_KEYS?.size)
    return {
      currentId: config.PAYLOAD_KEY_ID ?? [...config.PAYLOAD_KEYS.keys()][0]!,
      keys: config.PAYLOAD_KEYS,
      blindIndexKey,
    };
  if (usesFixedKeys(config))
    return blindIndexKey === DEVELOPMENT_MASTER_KEYS.blindIndexKey
      ? DEVELOPMENT_MASTER_KEYS
      : { ...DEVELOPMENT_MASTER_KEYS, blindIndexKey };
  const key = generated(config, DEVELOPMENT_KEY_FILE, warn);
  const id = `dev-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
  return { currentId: id, keys: new Map([[id, key], ...DEVELOPMENT_MASTER_KEYS.keys]), blindIndexKey };
}

const GENERATED: Record<string, (file: string, dataDir: string) => string> = {
  [DEVELOPMENT_KEY_FILE]: (file, dataDir) =>
    `Generated a development master key for personal data at ${file}: data sealed in ${dataDir} can only be read with it. Production requires PAYLOAD_KEYS.`,
  [DEVELOPMENT_BLIND_INDEX_FILE]: (file, dataDir) =>
    `Generated a development blind-index secret at ${file}: the customers' data keys in ${dataDir} are found with it. Production requires BLIND_INDEX_KEY.`,
};

function generated(config: MasterKeyConfig, name: string, warn: (message: string) => void): Buffer {
  const file = path.resolve(config.DATA_DIR!, name);
  return installationKey(file, GENERATED[name]!(file, config.DATA_DIR!), warn);
}
