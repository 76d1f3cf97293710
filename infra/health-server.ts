import { createServer, type Server } from 'node:http';
import type { Logger } from './logger';

/** What a health check answers: 200 when `ok`, 503 otherwise, with `body` either way. */
export interface HealthAnswer {
  ok: boolean;
  body: Record<string, unknown>;
}

export interface HealthServer {
  /** The port it listens on (useful with port 0), or null when it could not listen. */
  port: number | null;
  close(): Promise<void>;
}

/**
 * A tiny HTTP endpoint for a process that serves no HTTP of its own (the worker, the projector),
 * so its supervisor, docker-compose or an orchestrator can probe it: each path runs its check,
 * GET only. A port that cannot be had is logged and skipped: a busy port must not stop orders
 * from being processed.
 */
export async function serveHealth(options: {
  port: number;
  host: string;
  log: Logger;
  what: string;
  checks: Record<string, () => Promise<HealthAnswer>>;
}): Promise<HealthServer> {
  const { log, checks } = options;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const check = Object.hasOwn(checks, path) ? checks[path] : undefined;
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (!check)
      return answer(404, {
        error: {
          code: 'route_not_found',
          message: `No route for ${req.method} ${path}; try ${Object.keys(checks).join(' or ')}`,
          details: null,
        },
      });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return answer(405, {
        error: {
          code: 'method_not_allowed',
          message: `${req.method} is not allowed on ${path}; allowed: GET, HEAD`,
          details: null,
        },
      });
    }
    check().then(
      ({ ok, body }) => answer(ok ? 200 : 503, body),
      (err: unknown) => answer(503, { ready: false, errors: { check: String(err) } }),
    );
  });
  const listening = await new Promise<Server | null>((resolve) => {
    server.once('error', (err) => {
      log.error(
        { err: String(err), port: options.port },
        `${options.what} health endpoint unavailable; running without it`,
      );
      resolve(null);
    });
    server.listen(options.port, options.host, () => resolve(server));
  });
  if (!listening) return { port: null, close: async () => {} };
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  log.info(
    { port, host: options.host },
    `${options.what} health endpoint on http://${options.host}:${port}${Object.keys(checks)[0] ?? ''}`,
  );
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
