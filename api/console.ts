import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler } from 'express';

/** Where `npm run console:build` (console/build.ts) puts the operator console. */
const DIST = path.resolve(__dirname, '..', 'console', 'dist');

/**
 * The operator console's files at /console: a page, its script and its style sheet, built from
 * console/src. They hold no data, so they are served before authentication: the page asks for an
 * API key and sends it with every call to the policed routes. Middleware, not routes, so the
 * access policy's list of operations stays the API's own. A checkout that was never built answers
 * with how to build it rather than a bare 404.
 */
export function consoleFiles(dist = DIST): RequestHandler {
  const files = express.static(dist, { index: 'index.html', redirect: true, fallthrough: true, maxAge: 0 });
  const router = express.Router();
  router.use('/console', (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (!existsSync(path.join(dist, 'index.html'))) {
      res
        .status(503)
        .type('text/plain')
        .send('The operator console is not built: run `npm run console:build` (npm install and npm start do).');
      return;
    }
    files(req, res, next);
  });
  return router;
}
