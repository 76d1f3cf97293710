/**
 * Screenshots of the operator console's main pages, for the README (docs/console/*.png): a
 * system of its own on ephemeral servers, the demo world (scripts/console-demo.ts), headless
 * Chromium. Not part of `npm test`, which leaves the tree as it found it.
 *
 *   npm run console:screenshots            the PNGs, then stop
 *   npm run console:screenshots -- --serve keep the system running and print the console's address
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { chromium, type Page } from 'playwright-core';
import { createApiClient, dataOf } from '../api/client';
import { buildConsole } from '../console/build';
import { loadConfig, type Config } from '../config';
import { obtainServers } from '../servers';
import { repoRoot } from '../servers/paths';
import { demoConfig, seedDemo } from './console-demo';
import { startInProcess } from './system';

const CHROMIUM = '/usr/bin/chromium';
const OUT = path.join(repoRoot, 'docs', 'console');

async function main() {
  const serve = process.argv.includes('--serve');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const log = (m: string) => console.log(`[console] ${m}`);
  const built = await buildConsole();
  log(`built in ${built.ms} ms`);
  const base = loadConfig();
  const servers = await obtainServers(base, 'ephemeral', log);
  const suffix = Date.now().toString(36);
  const config: Config = {
    ...base,
    ...demoConfig,
    TEMPORAL_ADDRESS: servers.temporal.address,
    MONGODB_URI: servers.mongo.uri,
    MONGODB_DB: `console_${suffix}`,
    TASK_QUEUE: `console-${suffix}`,
    WORKER_METRICS_URLS: [],
    // A stall shows within seconds for its screenshot.
    PROJECTION_STALL_AFTER: 3_000,
    LOG_LEVEL: 'error',
  };
  const system = await startInProcess(config, { dropDatabaseOnStop: true });
  const stop = async () => {
    await system.stop();
    await servers.stop();
  };
  try {
    log('making the demo world (a minute on a busy machine)');
    const world = await seedDemo(system, {}, suffix);
    const url = `${system.baseUrl}/console/`;
    if (serve) {
      log(`console at ${url} (Ctrl-C stops); demo orders: ${JSON.stringify(world)}`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      return;
    }
    mkdirSync(OUT, { recursive: true });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const shot = async (name: string, hash: string, ready: (p: Page) => Promise<unknown>) => {
        await page.goto(`${url}#${hash}`);
        await ready(page);
        // Let the charts draw and the live badge connect.
        await page.waitForTimeout(1_500);
        await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
        log(`docs/console/${name}.png`);
      };
      await shot('orders', '/orders', (p) => p.getByRole('link', { name: world.completed }).waitFor());
      await shot('order', `/orders/${world.compensationIncomplete}`, (p) =>
        p.getByText('could not be undone').first().waitFor(),
      );
      await shot('streams', `/streams/account-${world.ada.accountId}`, async (p) => {
        await p.getByRole('button', { name: 'State at v1' }).click();
        await p.getByRole('table', { name: /changed since then/ }).waitFor();
      });
      await shot('read-side', '/read-side', (p) => p.getByRole('table', { name: /Projections/ }).waitFor());
      await shot('accounts', `/accounts/${world.ada.accountId}`, (p) =>
        p.getByRole('table', { name: /Every movement/ }).waitFor(),
      );
      await shot('customers', `/customers/${world.grace.customerId}`, async (p) => {
        await p.getByText(/^Pseudonym:/).waitFor();
        await p.getByRole('button', { name: /Erase personal data/ }).click();
      });
      await shot('order-needs-attention', `/orders/${world.needsAttention}`, (p) =>
        p.getByText(/failed for a reason an operator can fix/).waitFor(),
      );
      await shot('unsettled', '/unsettled', async (p) => {
        await p.getByLabel('Settlement state').selectOption('settled');
        await p.getByRole('link', { name: world.settled }).waitFor();
      });
      const api = createApiClient({ baseUrl: system.baseUrl });
      // A breaker as an operator leaves it for a provider's maintenance: opened by hand, with a reason.
      await dataOf(
        api.PUT('/breakers/{service}', {
          params: { path: { service: 'email' } },
          body: { state: 'open', reason: 'mail provider maintenance until 14:00' },
        }),
      );
      await shot('breakers', '/breakers', async (p) => {
        await p.getByRole('table', { name: 'Transitions of email, newest first' }).waitFor();
        await p.getByRole('button', { name: 'Close email…' }).click();
        await p.getByLabel('Reason (recorded with the transition)').fill('maintenance over');
      });
      // A stall, as an operator meets it: the accounts projection failing while deposits arrive.
      await page.goto(`${url}#/read-side`);
      await page.getByRole('table', { name: /Projections/ }).waitFor();
      await dataOf(
        api.PUT('/faults/{service}', { params: { path: { service: 'projection:accounts' } }, body: { mode: 'error' } }),
      );
      let writing = true;
      const writer = (async () => {
        while (writing) {
          await api.POST('/accounts/{id}/deposits', {
            params: { path: { id: world.ada.accountId } },
            body: { amount: 1 },
          });
          await new Promise((r) => setTimeout(r, 300));
        }
      })();
      try {
        await page.locator('#stall-banner').waitFor({ timeout: config.PROJECTION_STALL_AFTER + 30_000 });
        await page.waitForTimeout(1_500);
        await page.screenshot({ path: path.join(OUT, 'read-side-stalled.png'), fullPage: true });
        log('docs/console/read-side-stalled.png');
      } finally {
        writing = false;
        await writer;
        await api.DELETE('/faults/{service}', { params: { path: { service: 'projection:accounts' } } });
      }
    } finally {
      await browser.close();
    }
  } finally {
    await stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
