import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  DEVELOPMENT_BLIND_INDEX_FILE,
  DEVELOPMENT_KEY_FILE,
  DEVELOPMENT_MASTER_KEYS,
  masterKeysOf,
} from '../../infra/personal-data';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');

describe('master keys for personal data', () => {
  it('uses PAYLOAD_KEYS and BLIND_INDEX_KEY when set, fixed keys in tests, and generates keys of its own into DATA_DIR in development, once, with a warning', () => {
    const given = new Map([
      ['k2', Buffer.alloc(32, 2)],
      ['k1', Buffer.alloc(32, 1)],
    ]);
    const index = Buffer.alloc(32, 3);
    expect(
      masterKeysOf({
        PAYLOAD_KEYS: given,
        PAYLOAD_KEY_ID: 'k1',
        BLIND_INDEX_KEY: index,
        NODE_ENV: 'development',
        DATA_DIR: '/nonexistent',
      }),
    ).toEqual({ currentId: 'k1', keys: given, blindIndexKey: index });
    expect(masterKeysOf({ NODE_ENV: 'test', DATA_DIR: '/nonexistent' })).toBe(DEVELOPMENT_MASTER_KEYS);

    const dir = mkdtempSync(path.join(os.tmpdir(), 'master-keys-'));
    const warnings: string[] = [];
    const first = masterKeysOf({ NODE_ENV: 'development', DATA_DIR: dir }, (m) => warnings.push(m));
    const file = path.join(dir, DEVELOPMENT_KEY_FILE);
    const indexFile = path.join(dir, DEVELOPMENT_BLIND_INDEX_FILE);
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toContain(file);
    expect(warnings.join('\n')).toContain(indexFile);
    for (const f of [file, indexFile]) expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(first.currentId).toMatch(/^dev-[0-9a-f]{8}$/);
    expect(first.keys.get(first.currentId)).toEqual(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'));
    // A secret of its own: the blind index outlives any change of master key.
    expect(first.blindIndexKey).toEqual(Buffer.from(readFileSync(indexFile, 'utf8').trim(), 'base64'));
    expect(first.blindIndexKey).not.toEqual(first.keys.get(first.currentId));
    // The fixed key stays readable (data sealed before the generated key), but is never current.
    expect(first.keys.get('development')).toEqual(DEVELOPMENT_MASTER_KEYS.keys.get('development'));
    const again = masterKeysOf({ NODE_ENV: 'development', DATA_DIR: dir }, (m) => warnings.push(m));
    expect([again.currentId, again.blindIndexKey]).toEqual([first.currentId, first.blindIndexKey]);
    expect(warnings).toHaveLength(2);
    // With PAYLOAD_KEYS set in development, the generated blind index stays the same.
    expect(masterKeysOf({ PAYLOAD_KEYS: given, NODE_ENV: 'development', DATA_DIR: dir }).blindIndexKey).toEqual(
      first.blindIndexKey,
    );

    const broken = mkdtempSync(path.join(os.tmpdir(), 'master-keys-'));
    writeFileSync(path.join(broken, DEVELOPMENT_KEY_FILE), 'c2hvcnQ=\n');
    expect(() => masterKeysOf({ NODE_ENV: 'development', DATA_DIR: broken })).toThrow(
      /does not hold a base64 256-bit key/,
    );
  });

  it('gives every process of one installation the same key, however many start at once', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'master-keys-'));
    const script = `import('${path.join(root, 'infra/personal-data/master-keys.ts')}').then((m) => { const keys = (m.masterKeysOf ?? m.default.masterKeysOf)({ NODE_ENV: 'development', DATA_DIR: ${JSON.stringify(dir)} }, () => console.log('generated')); console.log(keys.currentId + ' ' + keys.blindIndexKey.toString('hex')) })`;
    const outputs = await Promise.all(
      Array.from({ length: 4 }, () => run(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root })),
    );
    const lines = outputs.map((o) => o.stdout.trim().split('\n'));
    expect(
      lines.flat().filter((l) => l === 'generated'),
      'each key generated once',
    ).toHaveLength(2);
    expect(new Set(lines.map((l) => l.at(-1))).size).toBe(1);
  }, 60_000);
});
