import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const loaded = new Map<string, Buffer>();

/**
 * A 256-bit key of this installation's own, kept base64 in `file` (mode 600): generated on first
 * use, with `warn(generated)`, and read by every later process of the installation. The file is
 * written aside and linked into place, so of several processes starting at once one publishes a
 * whole key and the others read that one.
 */
export function installationKey(file: string, generated: string, warn: (message: string) => void): Buffer {
  const resolved = path.resolve(file);
  const known = loaded.get(resolved);
  if (known) return known;
  mkdirSync(path.dirname(resolved), { recursive: true });
  const aside = `${resolved}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(aside, `${randomBytes(32).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
  try {
    linkSync(aside, resolved);
    warn(generated);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(aside);
  }
  const key = Buffer.from(readFileSync(resolved, 'utf8').trim(), 'base64');
  if (key.length !== 32)
    throw new Error(
      `${resolved} does not hold a base64 256-bit key; delete it (and the data that depends on it) to start afresh`,
    );
  loaded.set(resolved, key);
  return key;
}
