import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEVELOPMENT_KEY_FILE, DEVELOPMENT_MASTER_KEYS, masterKeysOf } from '../../infra/personal-data';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');

describe('master keys for personal data', () => {
  it('uses PAYLOAD_KEYS when set, a fixed key in tests, and generates a key of its own into DATA_DIR in development, once, with a warning', () => {
    const given = new Map([['k2', Buffer.alloc(32, 2)], ['k1', Buffer.alloc(32, 1)]]);
    expect(masterKeysOf({ PAYLOAD_KEYS: given, PAYLOAD_KEY_ID: 'k1', NODE_ENV: 'development', DATA_DIR: '/nonexistent' })).toEqual({ currentId: 'k1', keys: given });
    expect(masterKeysOf({ NODE_ENV: 'test', DATA_DIR: '/nonexistent' })).toBe(DEVELOPMENT_MASTER_KEYS);

    const dir = mkdtempSync(path.join(os.tmpdir(), 'master-keys-'));
    const warnings: string[] = [];
    const first = masterKeysOf({ NODE_ENV: 'development', DATA_DIR: dir }, (m) => warnings.push(m));
    const file = path.join(dir, DEVELOPMENT_KEY_FILE);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.currentId).toMatch(/^dev-[0-9a-f]{8}$/);
    expect(first.keys.get(first.currentId)).toEqual(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'));
    // The fixed key stays readable (data sealed before the generated key), but is never current.
    expect(first.keys.get('development')).toEqual(DEVELOPMENT_MASTER_KEYS.keys.get('development'));
    expect(masterKeysOf({ NODE_ENV: 'development', DATA_DIR: dir }, (m) => warnings.push(m)).currentId).toBe(first.currentId);
    expect(warnings).toHaveLength(1);

    const broken = mkdtempSync(path.join(os.tmpdir(), 'master-keys-'));
    writeFileSync(path.join(broken, DEVELOPMENT_KEY_FILE), 'c2hvcnQ=\n');
    expect(() => masterKeysOf({ NODE_ENV: 'development', DATA_DIR: broken })).toThrow(/does not hold a base64 256-bit key/);
  });

  it('gives every process of one installation the same key, however many start at once', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'master-keys-'));
    const script = `import('${path.join(root, 'infra/personal-data/master-keys.ts')}').then((m) => console.log((m.masterKeysOf ?? m.default.masterKeysOf)({ NODE_ENV: 'development', DATA_DIR: ${JSON.stringify(dir)} }, () => console.log('generated')).currentId))`;
    const outputs = await Promise.all(Array.from({ length: 4 }, () => run(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root })));
    const lines = outputs.map((o) => o.stdout.trim().split('\n'));
    expect(lines.flat().filter((l) => l === 'generated')).toHaveLength(1);
    expect(new Set(lines.map((l) => l.at(-1))).size).toBe(1);
  }, 60_000);
});
