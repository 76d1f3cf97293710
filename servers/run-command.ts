import { spawn } from 'node:child_process';
import net from 'node:net';

export type Progress = (message: string) => void;

/**
 * Runs a slow provisioning command (a Go or Maven build) and keeps the user informed: every line
 * it prints is forwarded, and a heartbeat says it is still working when it is quiet for long.
 */
export function runWithProgress(
  label: string,
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; progress: Progress },
): Promise<{ ok: boolean; output: string }> {
  const started = Date.now();
  return new Promise((resolve) => {
    let output = '';
    let lines = 0;
    const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-20_000);
      for (const raw of text.split('\n')) {
        // Maven and Go decorate lines with ANSI colour codes; a line of only codes says nothing.
        // eslint-disable-next-line no-control-regex -- ESC (\u001b) starts the colour codes being stripped
        const line = raw.replace(/\u001b\[[0-9;]*m/g, '');
        if (!line.trim()) continue;
        lines += 1;
        // Go prints one line per downloaded module; forwarding all of them would flood the terminal.
        if (lines <= 5 || lines % 50 === 0) options.progress(`${label}: ${line.trim()}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const heartbeat = setInterval(() => {
      options.progress(
        `${label}: still working (${Math.round((Date.now() - started) / 1000)}s, ${lines} lines of output)`,
      );
    }, 15_000);
    child.on('error', (err) => {
      clearInterval(heartbeat);
      resolve({ ok: false, output: `${output}\n${err.message}` });
    });
    child.on('close', (code) => {
      clearInterval(heartbeat);
      resolve({ ok: code === 0, output });
    });
  });
}

/** Asks the OS for a free TCP port on loopback. */
/**
 * A port that is free now, for a server that will bind it a moment later. Chosen below the
 * kernel's ephemeral range (32768+ on Linux), because outgoing connections take their local ports
 * from that range: a port the kernel handed out as "free" could otherwise be taken by any client
 * connection in the gap before the server binds it (seen as EADDRINUSE in parallel test runs).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
  return listenOn(0);
}

function canListen(port: number): Promise<boolean> {
  return listenOn(port).then(
    () => true,
    () => false,
  );
}

function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** True when something already accepts connections on host:port. */
export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Finds an executable on PATH, like `which`. */
export async function findOnPath(name: string): Promise<string | undefined> {
  const { access, constants } = await import('node:fs/promises');
  const path = await import('node:path');
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}
