import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { type Config } from '../config';
import { mongoLauncherDir, mongoLauncherJar, mongoLauncherLib, repoRoot, shownPath } from './paths';
import { findOnPath, freePort, portInUse, runWithProgress, type Progress } from './run-command';

export interface MongoServer {
  uri: string;
  source: string;
  stop(): Promise<void>;
  /**
   * Freezes the server process (SIGSTOP) or thaws it (SIGCONT): an outage in which connections stay
   * open and every call hangs, the hardest kind for clients, with nothing lost. Absent for a server
   * this process did not start.
   */
  freeze?(frozen: boolean): void;
}

function freezer(child: ChildProcess | undefined): MongoServer['freeze'] {
  if (!child?.pid) return undefined;
  return (frozen) => void child.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
}

export interface MongoOptions {
  config: Config;
  progress: Progress;
  /** `persistent` (npm start): fixed port, data kept under DATA_DIR. `ephemeral` (tests): random port, in memory. */
  mode: 'persistent' | 'ephemeral';
  /**
   * Keep the data on disk in this directory, as persistent mode does under DATA_DIR, while the port
   * stays random: a run whose memory must show what the server holds, not its data.
   */
  dataDir?: string;
}

/** Where a server keeps its data on disk: DATA_DIR when persistent, else the `dataDir` asked for (if any). */
function dataDirOf(options: MongoOptions): string | undefined {
  return options.mode === 'persistent' ? path.resolve(repoRoot, options.config.DATA_DIR) : options.dataDir;
}

/**
 * One resolution order for `npm start` and the tests:
 *   1. MONGODB_URI                   - use that deployment, start nothing
 *   2. mongodb-memory-server         - a real mongod replica set (downloads mongod on connected machines)
 *   3. mongo-java-server stand-in    - from Maven Central, through our launcher with the oplog on
 */
export async function obtainMongo(options: MongoOptions): Promise<MongoServer> {
  const { config, progress } = options;
  if (config.MONGODB_URI) {
    progress(`mongodb: using existing server ${redact(config.MONGODB_URI)} (source: MONGODB_URI)`);
    return { uri: config.MONGODB_URI, source: 'MONGODB_URI', stop: async () => {} };
  }
  const port = options.mode === 'persistent' ? config.MONGODB_PORT : await freePort();
  if (options.mode === 'persistent' && (await portInUse(port))) {
    throw new Error(
      `Port ${port} is already in use. If a MongoDB replica set runs there, set MONGODB_URI to use it; ` +
        'otherwise set MONGODB_PORT to a free port (or stop the other `npm start`).',
    );
  }

  try {
    return await startMemoryServer(options, port);
  } catch (err) {
    progress(`mongodb: mongodb-memory-server unavailable (${firstLine(err)}); using the mongo-java-server stand-in`);
  }
  return startJavaServer(options, port);
}

/** The mongo-java-server stand-in alone, in memory on a free port: for tests of the stand-in itself. */
export async function startStandIn(options: Omit<MongoOptions, 'mode'>): Promise<MongoServer> {
  return startJavaServer({ ...options, mode: 'ephemeral' }, await freePort());
}

async function startMemoryServer(options: MongoOptions, port: number): Promise<MongoServer> {
  // One download attempt instead of the library's three: an offline machine then falls through to
  // the stand-in in about a second. Set MONGOMS_MAX_RETRIES to override.
  process.env.MONGOMS_MAX_RETRIES ??= '1';
  const { MongoMemoryReplSet } = await import('mongodb-memory-server-core');
  const persistent = options.mode === 'persistent';
  const dataDir = dataDirOf(options);
  const dbPath = dataDir && path.join(dataDir, 'mongod');
  if (dbPath) await mkdir(dbPath, { recursive: true });
  options.progress('mongodb: trying mongodb-memory-server (real mongod replica set)');
  // mongodb-memory-server prints whole stack traces with console.warn when its download fails;
  // we report the reason in one line ourselves, so keep its console quiet while it starts.
  const { warn, error } = console;
  console.warn = console.error = () => {};
  let replSet: InstanceType<typeof MongoMemoryReplSet>;
  try {
    replSet = await withTimeout(
      MongoMemoryReplSet.create({
        replSet: { count: 1, storageEngine: 'wiredTiger' },
        instanceOpts: [{ port, dbPath }],
      }),
      // A connected machine downloads ~100 MB once; an offline one fails in well under a second.
      10 * 60_000,
      'mongodb-memory-server did not start within 10 minutes',
    );
  } finally {
    console.warn = warn;
    console.error = error;
  }
  const uri = replSet.getUri();
  options.progress(`mongodb: mongod replica set at ${uri} (source: mongodb-memory-server)`);
  return {
    uri,
    source: 'mongodb-memory-server',
    freeze: freezer(replSet.servers[0]?.instanceInfo?.instance.mongodProcess ?? undefined),
    stop: async () => {
      await replSet.stop({ doCleanup: !persistent, force: false });
    },
  };
}

async function startJavaServer(options: MongoOptions, port: number): Promise<MongoServer> {
  await ensureLauncherBuilt(options.progress);
  const java = await findOnPath('java');
  if (!java)
    throw new Error(
      'No `java` on PATH: the MongoDB stand-in needs Java 17+. Set MONGODB_URI to use an existing server.',
    );
  const dataDir = dataDirOf(options);
  const file = dataDir && path.join(dataDir, 'mongo.mv.db');
  const heap = `${options.config.MONGODB_STANDIN_HEAP_MB}m`;
  const args = [
    // With the data on disk the heap holds caches only: sized once, like a database's cache.
    ...(file ? [`-Xms${heap}`, `-Xmx${heap}`, '-XX:+AlwaysPreTouch'] : []),
    '-cp',
    `${mongoLauncherJar}${path.delimiter}${path.join(mongoLauncherLib, '*')}`,
    'platform.mongo.Launcher',
    '--port',
    String(port),
    // Capped like a real replica set's oplog (see Launcher.java's CappedOplog).
    '--oplog-keep',
    String(options.config.MONGODB_STANDIN_OPLOG_ENTRIES),
    // Idle cursors are killed like mongod's after cursorTimeoutMillis (see IdleCursorReaper.java).
    '--cursor-timeout-ms',
    String(options.config.MONGODB_STANDIN_CURSOR_TIMEOUT),
  ];
  if (dataDir && file) {
    await mkdir(dataDir, { recursive: true });
    args.push('--backend', 'h2', '--file', file);
  } else {
    args.push('--backend', 'memory');
  }
  const child = spawn(java, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitForLine(child, /listening on/, 60_000);
  const uri = `mongodb://127.0.0.1:${port}/?directConnection=true`;
  const where = file ? `data in ${shownPath(file)}` : 'in memory';
  options.progress(`mongodb: mongo-java-server at ${uri}, ${where}, oplog on (source: mongo-java-server stand-in)`);
  return { uri, source: 'mongo-java-server', freeze: freezer(child), stop: () => stopChild(child) };
}

async function ensureLauncherBuilt(progress: Progress): Promise<void> {
  // Built once, and again whenever the launcher's source or build file is newer than the jar.
  const built = await stat(mongoLauncherJar).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  const javaDir = path.join(mongoLauncherDir, 'src/main/java/platform/mongo');
  const sources = [
    path.join(mongoLauncherDir, 'pom.xml'),
    ...(await readdir(javaDir)).map((f) => path.join(javaDir, f)),
  ];
  const newest = Math.max(
    ...(await Promise.all(
      sources.map((f) =>
        stat(f).then(
          (s) => s.mtimeMs,
          () => 0,
        ),
      ),
    )),
  );
  if (built > 0 && built >= newest) return;
  const mvn = await findOnPath('mvn');
  if (!mvn)
    throw new Error(
      'No `mvn` on PATH: Maven is needed once to fetch mongo-java-server. Set MONGODB_URI to use an existing server.',
    );
  progress('mongodb: building the mongo-java-server launcher with Maven (first run only)');
  const result = await runWithProgress('mvn', mvn, ['-q', '-B', 'package'], { cwd: mongoLauncherDir, progress });
  if (!result.ok)
    throw new Error(
      `Maven build of the MongoDB launcher failed: ${result.output.trim().split('\n').slice(-5).join(' | ')}`,
    );
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`MongoDB stand-in did not start in ${timeoutMs} ms: ${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (pattern.test(output)) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null) => fail(new Error(`MongoDB stand-in exited (code ${code}): ${output.trim()}`));
    function cleanup() {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    }
    function fail(err: Error) {
      cleanup();
      child.kill('SIGKILL');
      reject(err);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', onExit);
  });
}

/** SIGTERM lets the launcher's shutdown hook flush the H2 file; SIGKILL only if it hangs. */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200);
}

function redact(uri: string): string {
  return uri.replace(/\/\/([^@/]+)@/, '//***@');
}
