import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The tiers hold only if file names say them: vitest.config.mts runs a spec file only when its name
 * carries a tier (test/tiers.mts), and the unit tier runs without the servers, so a unit spec must
 * not reach code that needs or starts them.
 */
const root = path.resolve(__dirname, '..', '..');
const tiers = () => import('../tiers.mjs');

/** Every file under test/, as a path from the repository root with forward slashes. */
function filesUnder(dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((name) => {
    const file = `${dir}/${name}`;
    return statSync(path.join(root, file)).isDirectory() ? filesUnder(file) : [file];
  });
}
// Any name vitest's default patterns would take for a test file, not only `.spec.ts`.
const isTestFile = (file: string) => /\.(spec|test)\.[cm]?[jt]sx?$/.test(file);

/** What a test module may not do in a tier without servers, and how to see it in its source. */
const NEEDS_SERVERS: Array<[RegExp, string]> = [
  [
    /\binject\(\s*['"](temporalAddress|mongodbUri)['"]/,
    'reads the shared servers that only tiers with the global setup have',
  ],
  [/from\s+['"]@temporalio\/testing['"]/, 'starts a Temporal test server'],
  [/\b(bundleWorkflowCode|runReplayHistory|runReplayHistories)\b|\bWorker\.create\(/, 'bundles workflow code'],
  [/\bspawn(Sync)?\(\s*['"](go|mvn|java)['"]/, 'runs Go, Maven or Java'],
  // The unit tier shares one module cache across the files of a worker (isolate: false).
  [/\bvi\.(mock|doMock)\(/, 'mocks a module, which would stay mocked for the unit files after it'],
];
/**
 * Modules outside test/ whose use needs servers or a workflow bundle. Other modules are not searched:
 * a unit spec may import a module that also starts a worker for the pure parts beside it.
 */
const HEAVY_MODULES: Record<string, string> = {
  'servers/index.ts': 'obtains servers',
  'servers/temporal.ts': 'obtains a Temporal server',
  'servers/mongodb.ts': 'obtains a MongoDB server (Java where mongod cannot be had)',
  'servers/temporal-test-server.ts': "provisions Temporal's time-skipping server",
  'scripts/system.ts': 'starts the system on the shared servers',
  'scripts/replay/histories.ts': 'bundles workflow code to replay histories',
};

/** The repository modules a module imports, resolved to files (packages left out). */
function localImports(file: string): string[] {
  const source = readFileSync(path.join(root, file), 'utf8');
  // Static imports and re-exports (not `import type`, which leaves nothing to load), import() and require().
  const statements =
    /\b(?:import|export)\s+(type\s+)?(?:[^'";]*?\bfrom\s*)?['"](\.[^'"]+)['"]|\b(?:import|require)\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  const specifiers = [...source.matchAll(statements)].filter((m) => !m[1]).map((m) => (m[2] ?? m[3])!);
  return specifiers.flatMap((specifier) => {
    const base = path.posix.join(path.posix.dirname(file), specifier);
    const candidates = [
      base,
      base.replace(/\.mjs$/, '.mts').replace(/\.js$/, '.ts'),
      `${base}.ts`,
      `${base}.mts`,
      `${base}/index.ts`,
    ];
    const found = candidates.find((c) => existsSync(path.join(root, c)) && statSync(path.join(root, c)).isFile());
    return found ? [found] : [];
  });
}

/**
 * Why `spec` cannot run without servers, if it cannot: follows its imports through test/ (helpers,
 * fixtures, other tests' modules) and names the first module on the way that needs or starts servers.
 */
function serverUse(spec: string): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    const via = [...chain, file].join(' -> ');
    if (HEAVY_MODULES[file]) return void found.push(`${via}: ${HEAVY_MODULES[file]}`);
    if (!file.startsWith('test/')) return;
    const source = readFileSync(path.join(root, file), 'utf8');
    for (const [pattern, what] of NEEDS_SERVERS) if (pattern.test(source)) found.push(`${via}: ${what}`);
    for (const next of localImports(file)) visit(next, [...chain, file]);
  };
  visit(spec, []);
  return found;
}

describe('test tiers', () => {
  const testFiles = filesUnder('test').filter(isTestFile);

  it('finds the spec files of every tier', async () => {
    const { TIERS, tierOf } = await tiers();
    for (const tier of TIERS)
      expect(testFiles.filter((f) => tierOf(f) === tier).length, `${tier.project} specs`).toBeGreaterThan(0);
  });

  it('names every test file by its tier (*.unit|workflow|int|e2e.spec.ts), so each runs in one tier and none in none', async () => {
    const { tierOf } = await tiers();
    expect(testFiles.filter((file) => !tierOf(file) || !file.endsWith('.spec.ts'))).toEqual([]);
  });

  it('would find a spec file without a tier', async () => {
    const { tierOf } = await tiers();
    expect(tierOf('test/replay/replay.spec.ts')).toBeUndefined();
    expect(tierOf('test/int/foo.unit-ish.spec.ts')).toBeUndefined();
    expect(tierOf('test/replay/replay.workflow.spec.ts')?.project).toBe('workflow');
    expect(tierOf('test/replay/new-sagas.int.spec.ts')?.project).toBe('integration');
  });

  it('keeps every unit spec clear of servers, Java, Go builds, workflow bundling and module mocks, through the helpers it imports', async () => {
    const { tierOf } = await tiers();
    // This file spells out the markers it looks for, so it is not its own subject.
    const self = path.relative(root, __filename).split(path.sep).join('/');
    const units = testFiles.filter((file) => tierOf(file)?.project === 'unit' && file !== self);
    expect(units.length).toBeGreaterThan(20);
    expect(units.flatMap(serverUse)).toEqual([]);
  });

  it('would find a spec that needs servers, directly or through a helper', () => {
    expect(serverUse('test/int/bench/command-context.int.spec.ts')).toEqual([
      expect.stringMatching(/command-context\.int\.spec\.ts: reads the shared servers/),
    ]);
    expect(serverUse('test/int/saga/happy-path.int.spec.ts')).toEqual(
      expect.arrayContaining([expect.stringMatching(/-> test\/helpers\/stack\.ts: reads the shared servers/)]),
    );
    expect(serverUse('test/int/docker-compose-loader.int.spec.ts')).toEqual([
      expect.stringMatching(/runs Go, Maven or Java/),
    ]);
    expect(serverUse('test/replay/replay.workflow.spec.ts')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/replay-histories\.ts -> scripts\/replay\/histories\.ts: bundles workflow code/),
      ]),
    );
    expect(serverUse('test/workflow/saga-matrix.workflow.spec.ts')).toEqual(
      expect.arrayContaining([expect.stringMatching(/saga-env\.ts: starts a Temporal test server/)]),
    );
  });
});
