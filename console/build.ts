/**
 * Builds the operator console (console/src) into console/dist, which the API serves at /console
 * (api/console.ts). esbuild bundles Preact, the router and Chart.js from node_modules into one
 * script and one style sheet: nothing comes from a CDN, and there is no inline script, so the
 * API's content security policy stays as helmet sets it. Runs from `npm install` (prepare) and
 * `npm start`, in about a second; the output is not committed.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

export const CONSOLE_SOURCE = path.resolve(__dirname, 'src');
export const CONSOLE_DIST = path.resolve(__dirname, 'dist');

/**
 * Each file is written beside its final name and renamed over it, so an API serving the folder
 * while another process builds never sends half a file.
 */
function writeAtomically(file: string, contents: Uint8Array | string) {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, file);
}

export async function buildConsole(outdir = CONSOLE_DIST): Promise<{ files: string[]; ms: number }> {
  const started = Date.now();
  const result = await build({
    entryPoints: { app: path.join(CONSOLE_SOURCE, 'main.tsx') },
    bundle: true,
    write: false,
    outdir: path.join(outdir, 'assets'),
    format: 'esm',
    target: ['es2022'],
    minify: true,
    sourcemap: 'linked',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'linked',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  mkdirSync(path.join(outdir, 'assets'), { recursive: true });
  const files = result.outputFiles.map((file) => {
    writeAtomically(file.path, file.contents);
    return path.relative(outdir, file.path);
  });
  writeAtomically(path.join(outdir, 'index.html'), readFileSync(path.join(__dirname, 'index.html')));
  return { files: [...files, 'index.html'], ms: Date.now() - started };
}

if (require.main === module) {
  buildConsole().then(
    ({ files, ms }) =>
      console.log(
        `console built in ${ms} ms: ${files.length} files in ${path.relative(process.cwd(), CONSOLE_DIST) || '.'}`,
      ),
    (err: unknown) => {
      console.error('console build failed:', err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
