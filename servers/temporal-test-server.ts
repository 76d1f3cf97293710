import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot, toolsDir } from './paths';
import { findOnPath, runWithProgress, type Progress } from './run-command';
import { isExecutable } from './temporal';

const serverDir = path.join(toolsDir, 'temporal-test-server');
const libDir = path.join(serverDir, 'lib');
/** What `TestWorkflowEnvironment.createTimeSkipping` gets as `{ type: 'existing-path', path }`. */
export const timeSkippingServerPath = path.join(serverDir, 'temporal-test-server');
const pom = path.join(repoRoot, 'servers', 'time-skipping-server', 'pom.xml');

/**
 * Returns an executable that runs Temporal's Java time-skipping test server, fetching its jars
 * from Maven Central on first use. The SDK's own time-skipping download comes from a vendor URL,
 * which offline machines cannot reach; Maven Central is reachable wherever the MongoDB stand-in is.
 */
export async function provisionTimeSkippingServer(progress: Progress = () => {}): Promise<string> {
  // The wrapper is written last, so its presence means the jars were copied completely.
  if (await isExecutable(timeSkippingServerPath)) return timeSkippingServerPath;

  // Checked now rather than when the SDK starts the wrapper, where a missing java only shows
  // as the server exiting early.
  if (!(await findOnPath('java')))
    throw new Error('No `java` on PATH: the Temporal time-skipping test server needs Java 17+.');
  const mvn = await findOnPath('mvn');
  const args = ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${libDir}`];
  const command = `mvn ${args.join(' ')}`;
  if (!mvn) throw new Error(`No \`mvn\` on PATH: Maven is needed once to fetch the Temporal test server (${command}).`);

  // Start from an empty folder: jars left by an interrupted or older copy would otherwise sit
  // on the classpath next to the new ones.
  await rm(libDir, { recursive: true, force: true });
  await mkdir(libDir, { recursive: true });
  progress('temporal-test-server: fetching the Java time-skipping server with Maven (first run only)');
  const result = await runWithProgress('mvn', mvn, args, { cwd: repoRoot, progress });
  if (!result.ok) {
    throw new Error(
      `Fetching the Temporal test server failed (${command}): ${result.output.trim().split('\n').slice(-5).join(' | ')}`,
    );
  }

  // `lib/*` is expanded by java itself (a classpath wildcard), so it stays inside the quotes.
  // C1-only JIT and the serial collector: a short-lived test server starts about 3x faster, which
  // matters because the SDK gives it 5 s to come up on a busy two-core machine.
  const script = `#!/bin/sh\nexec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "${shellQuoted(libDir)}/*" io.temporal.testserver.TestServer "$@"\n`;
  // Write then rename, so a concurrent run (parallel test workers) never sees a half-written script.
  const tmp = `${timeSkippingServerPath}.${process.pid}.tmp`;
  await writeFile(tmp, script);
  await chmod(tmp, 0o755);
  await rename(tmp, timeSkippingServerPath);
  progress(`temporal-test-server: ready at ${path.relative(repoRoot, timeSkippingServerPath)}`);
  return timeSkippingServerPath;
}

/** Escapes the characters that stay special inside a double-quoted sh string. */
function shellQuoted(text: string): string {
  return text.replace(/["$`\\]/g, '\\$&');
}
