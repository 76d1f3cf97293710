import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import express from 'express';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf } from '../../api/client';
import { consoleFiles } from '../../api/console';
import { buildConsole } from '../../console/build';
import { ORDER_STATUS, orderWorkflowId } from '../../domain/orders';
import { ERASED } from '../../domain/personal-data';
import { demoConfig, REFUSED_POSTAL_CODE, seedDemo, type DemoWorld } from '../../scripts/console-demo';
import { faultsOf } from '../helpers/faults';
import { apiOf, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

/** Debian's Chromium package; `npx playwright install` cannot download a browser on these machines. */
const CHROMIUM = '/usr/bin/chromium';
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const screenshots = path.resolve(__dirname, '..', '..', 'test-results', 'console');

/** Lowered from its 10 s default, so a stall shows within this test's patience. */
const STALL_AFTER = 3_000;
/** Lowered from 5 minutes: every live feed ends this often, so the pages' reconnects are exercised too. */
const LIVE_FEED_MAX = 4_000;
const OPERATOR = `console-operator-${randomUUID()}`;
const CLIENT_ADA = `console-client-ada-${randomUUID()}`;

/**
 * The operator console (console/, served by the API at /console) in a real headless browser,
 * against a real stack with authentication on: every page renders the stack's data, actions work
 * and show in the API, a stall appears live, a client key sees only its own, and axe-core finds
 * no serious or critical accessibility problem.
 */
describe('the operator console in a browser', () => {
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  let world: DemoWorld;
  const suffix = randomUUID().slice(0, 8);
  const operatorApi = () => apiOf(stack!, { authorization: `Bearer ${OPERATOR}` });

  const noBrowser = existsSync(CHROMIUM)
    ? undefined
    : new Error(
        `No Chromium at ${CHROMIUM}: this test drives the operator console in a real browser. ` +
          'Install it with `apt-get install -y chromium` (Debian/Ubuntu; .ci/run does this), then run the test again.',
      );

  beforeAll(async () => {
    if (noBrowser) return;
    await buildConsole();
    stack = await startStack({
      ...demoConfig,
      AUTH: 'on',
      API_KEYS: [
        { key: OPERATOR, role: 'operator', customerId: undefined },
        { key: CLIENT_ADA, role: 'client', customerId: `ada-${suffix}` },
      ],
      PROJECTION_STALL_AFTER: STALL_AFTER,
      LIVE_FEED_MAX,
    });
    world = await seedDemo(stack, { authorization: `Bearer ${OPERATOR}` }, suffix);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // As on every browser test here: no sandbox (root), no GPU, nothing that phones home.
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
    mkdirSync(screenshots, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  interface Session {
    /** The stack whose console it opened. */
    baseUrl: string;
    context: BrowserContext;
    page: Page;
    /** Uncaught errors and CSP refusals seen by the page: a console that works has none. */
    problems: string[];
    /** Full page loads (a reload would count): live updates need none. */
    loads: () => number;
  }

  /** A fresh tab (its own sessionStorage), with `key` typed into the console's key form. */
  async function session(key: string | undefined, name: string, baseUrl = stack!.baseUrl): Promise<Session> {
    if (noBrowser) throw noBrowser;
    const context = await browser!.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const problems: string[] = [];
    let loads = 0;
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
    });
    page.on('load', () => (loads += 1));
    await page.goto(`${baseUrl}/console/`);
    if (key !== undefined) {
      await page.getByLabel('API key', { exact: true }).fill(key);
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Use key' }).click()]);
    }
    const s: Session = { baseUrl, context, page, problems, loads: () => loads };
    sessions.set(s, name);
    return s;
  }
  const sessions = new Map<Session, string>();

  async function close(s: Session) {
    await s.page.screenshot({ path: path.join(screenshots, `${sessions.get(s)}.png`), fullPage: true }).catch(() => {});
    await s.context.close();
    expect(s.problems, 'page errors and CSP refusals').toEqual([]);
  }

  /** A datetime-local input's value for an instant, in the browser's (and this process's) time zone. */
  const localInput = (ms: number) => {
    const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
    return d.toISOString().slice(0, 16);
  };

  const open = (s: Session, hash: string) => s.page.goto(`${s.baseUrl}/console/#${hash}`);

  /** axe-core's serious and critical findings on the page as it stands. */
  async function accessibilityProblems(page: Page): Promise<string[]> {
    // Evaluated through the DevTools protocol, so the page's CSP (no inline scripts) stays as it is.
    await page.evaluate(AXE);
    const results = await page.evaluate(async () => {
      // The browser's globals, named without the DOM library (this file is Node code).
      const browser = globalThis as unknown as {
        axe: { run: (context: unknown) => Promise<unknown> };
        document: unknown;
      };
      return (await browser.axe.run(browser.document)) as {
        violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown }> }>;
      };
    });
    return results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')})`);
  }

  it('is served by the API under its content security policy, without a key, while the data still needs one', async () => {
    if (noBrowser) throw noBrowser;
    const page = await fetch(`${stack!.baseUrl}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    const html = await page.text();
    // One script, from the API's own origin; none inline.
    expect([...html.matchAll(/<script\b[^>]*>[\s\S]*?<\/script>/g)].map((m) => m[0])).toEqual([
      '<script type="module" src="/console/assets/app.js"></script>',
    ]);
    const script = await fetch(`${stack!.baseUrl}/console/assets/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${stack!.baseUrl}/orders`)).status).toBe(401);
  });

  it('renders every page with the stack data, with no serious or critical accessibility finding', async () => {
    const s = await session(OPERATOR, 'pages');
    const { page } = s;
    const checked: Record<string, string[]> = {};
    try {
      await open(s, '/orders');
      await page.getByRole('link', { name: world.completed, exact: true }).waitFor();
      for (const id of [world.awaitingApproval, world.cancelled, world.compensationIncomplete])
        await expect(page.getByRole('link', { name: id, exact: true }).isVisible()).resolves.toBe(true);
      checked.orders = await accessibilityProblems(page);
      // The time filter: nothing was placed in the future, everything since an hour ago.
      const filter = page.getByRole('form', { name: 'Filter orders' });
      await filter.getByLabel('From').fill(localInput(Date.now() + 3_600_000));
      await filter.getByRole('button', { name: 'Filter' }).click();
      await page.getByRole('table', { name: 'No orders match' }).waitFor();
      await filter.getByLabel('From').fill(localInput(Date.now() - 3_600_000));
      await filter.getByRole('button', { name: 'Filter' }).click();
      await page.getByRole('link', { name: world.completed, exact: true }).waitFor();

      await open(s, `/orders/${world.compensationIncomplete}`);
      await page.getByText('could not be undone (dead letter)').waitFor();
      const timeline = page.getByRole('region', { name: 'Timeline of its events' });
      for (const event of ['OrderCreated', 'PaymentCompleted', 'ItemsReserved', 'PaymentRefunded', 'OrderCancelled'])
        await timeline.getByText(event, { exact: true }).waitFor();
      await page
        .getByRole('region', { name: 'Dead letters' })
        .getByRole('button', { name: /^Redrive/ })
        .first()
        .waitFor();
      await expect(page.getByRole('link', { name: /in Temporal's Web UI/ }).getAttribute('href')).resolves.toMatch(
        new RegExp(`/namespaces/default/workflows/order-${world.compensationIncomplete}$`),
      );
      await page
        .getByRole('region', { name: 'Saga (live state)' })
        .getByText(ORDER_STATUS.COMPENSATION_INCOMPLETE, { exact: true })
        .waitFor();
      checked.order = await accessibilityProblems(page);

      await open(s, `/streams/account-${world.ada.accountId}`);
      await page.getByRole('cell', { name: 'AccountOpened' }).waitFor();
      await page.getByRole('button', { name: 'State at v1' }).click();
      const diff = page.getByRole('table', { name: 'What changed since then' });
      await diff.getByRole('rowheader', { name: 'balance' }).waitFor();
      checked.streams = await accessibilityProblems(page);

      await open(s, '/read-side');
      const projections = page.getByRole('table', { name: /^Projections/ });
      for (const name of ['orders', 'inventory', 'accounts', 'sales'])
        await projections.getByRole('rowheader', { name, exact: true }).waitFor();
      await page.getByRole('img', { name: /lag in events over time/ }).waitFor();
      await page.getByRole('table', { name: 'Open dead letters' }).waitFor();
      await expect(page.getByText('live', { exact: true }).first().isVisible()).resolves.toBe(true);
      checked['read side'] = await accessibilityProblems(page);

      await open(s, `/accounts/${world.ada.accountId}`);
      const trail = page.getByRole('table', { name: 'Every movement, oldest first' });
      for (const event of ['AccountOpened', 'Deposited', 'Withdrawn'])
        await trail.getByRole('cell', { name: event, exact: true }).first().waitFor();
      await page.getByRole('img', { name: /Balance of account/ }).waitFor();
      checked.accounts = await accessibilityProblems(page);

      await open(s, `/customers/${world.ada.customerId}`);
      await page.getByText(/^Pseudonym:/).waitFor();
      await page.getByRole('link', { name: `order-${world.completed}` }).waitFor({ timeout: 20_000 });
      await page.getByRole('button', { name: /Erase personal data of/ }).click();
      await page.getByLabel('Type the customer id to confirm').waitFor();
      checked.customers = await accessibilityProblems(page);

      // The orders list filters by every status of domain/orders/status.ts, NEEDS_ATTENTION among them.
      await open(s, '/orders');
      const statusFilter = page.getByRole('form', { name: 'Filter orders' });
      await statusFilter.getByLabel('Status').selectOption(ORDER_STATUS.NEEDS_ATTENTION);
      await statusFilter.getByRole('button', { name: 'Filter' }).click();
      await page.getByRole('link', { name: world.completed, exact: true }).waitFor({ state: 'detached' });
      await page.getByRole('link', { name: world.needsAttention, exact: true }).waitFor();

      await open(s, `/orders/${world.needsAttention}`);
      const attention = page.getByRole('region', { name: 'Needs attention' });
      await attention
        .getByText(/scheduleShipment.* failed for a reason an operator can fix: .*no such postal code/)
        .waitFor();
      for (const field of ['Street and number', 'City', 'Postal code', 'Country (two letters, e.g. US)'])
        await attention.getByLabel(field, { exact: true }).waitFor();
      await expect(attention.getByLabel('Postal code', { exact: true }).inputValue()).resolves.toBe(
        REFUSED_POSTAL_CODE,
      );
      checked['order needing attention'] = await accessibilityProblems(page);

      await open(s, '/breakers');
      const breakers = page.getByRole('table', { name: 'Circuit breakers' });
      for (const name of ['payment', 'inventory', 'shipping', 'email'])
        await breakers.getByRole('rowheader', { name, exact: true }).waitFor();
      await page.getByRole('button', { name: 'Open email…' }).click();
      await page.getByLabel('Reason (recorded with the transition)').waitFor();
      checked.breakers = await accessibilityProblems(page);
      await page.getByRole('button', { name: 'Keep it as it is' }).click();

      await open(s, '/unsettled');
      await page.getByLabel('Settlement state').selectOption('settled');
      const settled = page.getByRole('table', { name: /^Orders without a saga outcome/ });
      await settled.getByRole('link', { name: world.settled, exact: true }).waitFor();
      await expect(settled.getByRole('row', { name: new RegExp(world.settled) }).innerText()).resolves.toMatch(
        /Terminated[\s\S]*settled[\s\S]*compensate[\s\S]*CANCELLED/,
      );
      checked.unsettled = await accessibilityProblems(page);
      await settled.getByRole('link', { name: world.settled, exact: true }).click();
      await page.getByRole('region', { name: 'Summary' }).getByText(ORDER_STATUS.CANCELLED, { exact: true }).waitFor();
    } finally {
      await close(s);
    }
    expect(checked).toEqual({
      orders: [],
      order: [],
      streams: [],
      'read side': [],
      accounts: [],
      customers: [],
      'order needing attention': [],
      breakers: [],
      unsettled: [],
    });
  }, 300_000);

  it('opens and closes a breaker by hand from the breakers page, follows a change made elsewhere live, and the API shows each', async () => {
    const s = await session(OPERATOR, 'breakers');
    const { page } = s;
    const api = operatorApi();
    const email = async () => (await dataOf(api.GET('/breakers'))).breakers.find((b) => b.service === 'email')!;
    const row = () => page.getByRole('table', { name: 'Circuit breakers' }).getByRole('row', { name: /^email/ });
    try {
      await open(s, '/breakers');
      await page.getByText('live', { exact: true }).first().waitFor();
      const loadsBefore = s.loads();
      const before = await email();
      expect(before.status).toBe('closed');

      await page.getByRole('button', { name: 'Open email…' }).click();
      const confirm = page.getByRole('button', { name: 'Confirm: open email' });
      // No reason, no change: the reason goes with the transition and the audit record.
      await expect(confirm.isDisabled()).resolves.toBe(true);
      await page.getByLabel('Reason (recorded with the transition)').fill('mail provider maintenance');
      await confirm.click();
      await page.getByText('open email: accepted by the API').waitFor();
      expect(await email()).toMatchObject({
        status: 'open',
        by: 'operator',
        reason: 'mail provider maintenance',
        probeAt: null,
        transitions: before.transitions + 1,
      });
      await row().getByText('open', { exact: true }).waitFor();
      const transitions = page.getByRole('table', { name: 'Transitions of email, newest first' });
      await transitions.getByRole('row', { name: /BreakerOpened.*operator.*mail provider maintenance/ }).waitFor();

      await page.getByRole('button', { name: 'Close email…' }).click();
      await page.getByLabel('Reason (recorded with the transition)').fill('maintenance over');
      await page.getByRole('button', { name: 'Confirm: close email' }).click();
      await page.getByText('close email: accepted by the API').waitFor();
      expect(await email()).toMatchObject({ status: 'closed', by: 'operator', reason: 'maintenance over' });
      await row().getByText('closed', { exact: true }).waitFor();

      // A change made elsewhere (here the API itself) reaches the open page through the live feed.
      await dataOf(
        api.PUT('/breakers/{service}', {
          params: { path: { service: 'email' } },
          body: { state: 'open', reason: 'opened from the command line' },
        }),
      );
      await row().getByText('opened from the command line').waitFor({ timeout: 20_000 });
      await transitions.getByRole('row', { name: /BreakerOpened.*opened from the command line/ }).waitFor();
      expect(s.loads(), 'the page was not reloaded').toBe(loadsBefore);
    } finally {
      await api.PUT('/breakers/{service}', {
        params: { path: { service: 'email' } },
        body: { state: 'closed', reason: 'end of the console test' },
      });
      await close(s);
    }
  }, 180_000);

  it('repairs an order that needs attention from its page by correcting the address, and shows why the API refuses a second repair', async () => {
    const s = await session(OPERATOR, 'repair');
    const { page } = s;
    const orderId = world.needsAttention;
    try {
      await open(s, `/orders/${orderId}`);
      const attention = page.getByRole('region', { name: 'Needs attention' });
      await attention.getByText(/no such postal code/).waitFor();
      await page
        .getByRole('region', { name: 'Saga (live state)' })
        .getByText(ORDER_STATUS.NEEDS_ATTENTION, { exact: true })
        .waitFor();
      const form = attention.getByRole('form', { name: 'Correct the shipping address and retry' });
      await form.getByLabel('Postal code', { exact: true }).fill('54321');
      await form.getByLabel('Street and number', { exact: true }).fill('2 Elm St');
      // Each click is one repair, sent with an Idempotency-Key of its own.
      const repairRequest = () =>
        page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname.endsWith('/repair'));
      const corrected = repairRequest();
      await form.getByRole('button', { name: 'Correct and retry' }).click();
      const correctKey = (await corrected).headers()['idempotency-key'];
      expect(correctKey).toMatch(/^console-[0-9a-f]{32}$/);
      await attention.getByText('correct: accepted by the API').waitFor();
      const saga = await waitFor(
        'the repaired saga to complete in the API',
        async () => {
          const state = await dataOf(operatorApi().GET('/orders/{orderId}/saga', { params: { path: { orderId } } }));
          return state.status === ORDER_STATUS.COMPLETED ? state : undefined;
        },
        60_000,
      );
      expect(saga.status).toBe(ORDER_STATUS.COMPLETED);
      const order = await waitFor(
        'the read model to ship to the corrected address',
        async () => {
          const view = await dataOf(operatorApi().GET('/orders/{orderId}', { params: { path: { orderId } } }));
          return view.status === ORDER_STATUS.COMPLETED ? view : undefined;
        },
        30_000,
      );
      expect(order.shippingAddress).toMatchObject({ line1: '2 Elm St', postalCode: '54321' });
      // The page follows by itself: the order completed, shipping to the corrected address.
      await page
        .getByRole('region', { name: 'Summary' })
        .getByText(ORDER_STATUS.COMPLETED, { exact: true })
        .waitFor({ timeout: 20_000 });
      await page
        .getByRole('region', { name: 'Summary' })
        .getByText(/^2 Elm St, 54321/)
        .waitFor({ timeout: 20_000 });

      // Nothing waits any more: a second repair is refused, and the page says what the API says.
      const retried = repairRequest();
      await attention.getByRole('button', { name: /^Retry/ }).click();
      const retryKey = (await retried).headers()['idempotency-key'];
      expect(retryKey).toMatch(/^console-[0-9a-f]{32}$/);
      expect(retryKey).not.toBe(correctKey);
      const refused = page.getByRole('alert').filter({ hasText: 'retry refused (HTTP 409)' });
      await refused.waitFor();
      const direct = await operatorApi().POST('/orders/{orderId}/repair', {
        params: { path: { orderId } },
        body: { action: 'retry' },
      });
      expect(direct.response.status).toBe(409);
      await expect(refused.innerText()).resolves.toContain(
        (direct.error as { error: { message: string } }).error.message,
      );
    } finally {
      await close(s);
    }
  }, 180_000);

  it('lists an order held after its booking on the Unsettled page, where and until when it waits, and compensates it from there', async () => {
    if (noBrowser) throw noBrowser;
    // The settle policy is the worker's: a stack of its own holds the orders whose saga ended.
    const holding = await startStack({
      ...demoConfig,
      AUTH: 'on',
      API_KEYS: [{ key: OPERATOR, role: 'operator', customerId: undefined }],
      SETTLE_POLICY: 'hold',
      // A deployment of its own: the other stack's worker versions a different task queue.
      WORKER_DEPLOYMENT_NAME: `console-held-${suffix}`,
      // The breakers' pauses are theirs to test; here the step held by a fault stays where it is.
      BREAKERS: 'off',
    });
    let s: Session | undefined;
    try {
      const api = apiOf(holding, { authorization: `Bearer ${OPERATOR}` });
      const customerId = `held-${suffix}`;
      const sku = `HELD-${suffix}`;
      await dataOf(api.POST('/inventory', { body: { sku, quantity: 5, price: 1_000 } }));
      const { accountId } = await dataOf(
        api.POST('/accounts', { body: { customerId, owner: `held (${suffix})`, initialDeposit: 10_000 } }),
      );
      // The booking is made, then its attempt hangs: the saga is ended there, before completeOrder.
      await faultsOf(api).inject('shipping', { mode: 'hang-after-effect', hangMs: 10_000 });
      const { orderId } = await dataOf(
        api.POST('/orders', {
          body: {
            customerId,
            accountId,
            items: [{ sku, quantity: 2 }],
            shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
          },
        }),
      );
      const eventsOf = async () =>
        (await dataOf(api.GET('/orders/{orderId}/events', { params: { path: { orderId } } }))).events.map(
          (e) => (e as { type: string }).type,
        );
      await waitFor('the shipment to be booked', async () => (await eventsOf()).includes('ShipmentScheduled'), 60_000);
      await holding.client.workflow.getHandle(orderWorkflowId(orderId)).terminate('ended after the booking');
      await faultsOf(api).clear('shipping');
      const held = await waitFor(
        'the settlement to hold the order',
        async () => {
          const { orders } = await dataOf(api.GET('/orders/unsettled', { params: { query: { state: 'held' } } }));
          return orders.find((o) => o.orderId === orderId);
        },
        60_000,
      );
      expect(held).toMatchObject({ policy: 'hold', close: 'Terminated', needsAttention: { step: 'completeOrder' } });
      // One order's settlement, as its page asks for it; another id finds none, a malformed one is refused.
      const only = await dataOf(api.GET('/orders/unsettled', { params: { query: { state: 'held', orderId } } }));
      expect(only.orders.map((o) => o.orderId)).toEqual([orderId]);
      const other = await dataOf(
        api.GET('/orders/unsettled', { params: { query: { state: 'held', orderId: `${orderId}-other` } } }),
      );
      expect(other.orders).toEqual([]);
      const malformed = await api.GET('/orders/unsettled', { params: { query: { orderId: 'no spaces, please' } } });
      expect(malformed.response.status).toBe(400);
      expect(JSON.stringify(malformed.error)).toContain('orderId');
      // The orders read model says what the order's stream and the ledger say: it waits for an operator.
      await waitFor(
        'the orders view to show the held order NEEDS_ATTENTION',
        async () =>
          (await dataOf(api.GET('/orders/{orderId}', { params: { path: { orderId } } }))).status ===
          ORDER_STATUS.NEEDS_ATTENTION,
        30_000,
      );

      s = await session(OPERATOR, 'held', holding.baseUrl);
      const { page } = s;
      await open(s, '/unsettled');
      const list = page.getByRole('table', { name: /^Orders without a saga outcome/ });
      const row = list.getByRole('row', { name: new RegExp(orderId) });
      await row.waitFor();
      await expect(row.innerText()).resolves.toMatch(/Terminated[\s\S]*held[\s\S]*hold[\s\S]*at completeOrder until /);
      const panel = page.getByRole('region', { name: `Held order ${orderId}` });
      await panel.getByText(/Held at completeOrder/).waitFor();
      await panel.getByText(/if none comes by .* the settlement compensates by itself/).waitFor();
      await panel.getByRole('button', { name: 'Retry completeOrder' }).waitFor();
      expect(await accessibilityProblems(page)).toEqual([]);

      // The order's own page offers the same repairs, to the settlement that holds it.
      await open(s, `/orders/${orderId}`);
      const onItsPage = page.getByRole('region', { name: 'Needs attention' });
      await onItsPage.getByText(/Held at completeOrder/).waitFor();
      await onItsPage.getByText(/if none comes by .* the settlement compensates by itself/).waitFor();
      await onItsPage.getByRole('button', { name: 'Retry completeOrder' }).waitFor();
      expect(await accessibilityProblems(page)).toEqual([]);
      await open(s, '/unsettled');
      await panel.getByRole('button', { name: 'Retry completeOrder' }).waitFor();

      const form = panel.getByRole('form', { name: `Give up and compensate of order ${orderId}` });
      await form.getByLabel('Reason to compensate').fill('the parcel was lost');
      const sent = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname.endsWith('/repair'));
      await form.getByRole('button', { name: 'Compensate (undo the order)' }).click();
      expect((await sent).headers()['idempotency-key']).toMatch(/^console-[0-9a-f]{32}$/);
      await panel.getByText('compensate: accepted by the API').waitFor();

      const settled = await waitFor(
        'the settlement to compensate the held order',
        async () => {
          const { orders } = await dataOf(api.GET('/orders/unsettled', { params: { query: { state: 'settled' } } }));
          return orders.find((o) => o.orderId === orderId);
        },
        60_000,
      );
      expect(settled).toMatchObject({
        outcome: 'settled',
        status: ORDER_STATUS.CANCELLED,
        repair: { action: 'compensate' },
      });
      const types = await eventsOf();
      for (const once of ['ShipmentScheduled', 'ShipmentCancelled', 'PaymentRefunded', 'OrderCancelled'])
        expect(
          types.filter((t) => t === once),
          once,
        ).toHaveLength(1);
      expect(types).not.toContain('OrderCompleted');
      await waitFor(
        'the orders view to show the order CANCELLED',
        async () =>
          (await dataOf(api.GET('/orders/{orderId}', { params: { path: { orderId } } }))).status ===
          ORDER_STATUS.CANCELLED,
        30_000,
      );
      // Settled, it is listed among the settled ones with the repair carried out.
      await page.getByLabel('Settlement state').selectOption('settled');
      await expect
        .poll(() => row.innerText(), { timeout: 20_000 })
        .toMatch(/settled[\s\S]*hold[\s\S]*compensate[\s\S]*settled[\s\S]*CANCELLED/);
    } finally {
      if (s) await close(s);
      await holding.stop();
    }
  }, 300_000);

  it('cancels an order from its page, and shows why the API refuses to cancel a completed one', async () => {
    const s = await session(OPERATOR, 'cancel');
    const { page } = s;
    try {
      await open(s, `/orders/${world.awaitingApproval}`);
      await page.getByText('(awaiting approval)').waitFor();
      await page.getByLabel('Reason (cancel and reject)').fill('customer changed their mind');
      await page.getByRole('button', { name: 'Cancel order' }).click();
      await page.getByText('cancel: accepted by the API').waitFor();
      await waitFor(
        'the cancelled saga in the API',
        async () => {
          const saga = await dataOf(
            operatorApi().GET('/orders/{orderId}/saga', { params: { path: { orderId: world.awaitingApproval } } }),
          );
          return saga.status === ORDER_STATUS.CANCELLED ? saga : undefined;
        },
        30_000,
      );
      // The page follows by itself (live), without a reload.
      await page
        .getByRole('region', { name: 'Summary' })
        .getByText(ORDER_STATUS.CANCELLED, { exact: true })
        .waitFor({ timeout: 20_000 });

      await open(s, `/orders/${world.completed}`);
      await page
        .getByRole('region', { name: 'Saga (live state)' })
        .getByText(ORDER_STATUS.COMPLETED, { exact: true })
        .waitFor();
      await page.getByRole('button', { name: 'Cancel order' }).click();
      const refused = page.getByRole('alert').filter({ hasText: 'cancel refused (HTTP 409)' });
      await refused.waitFor();
      const direct = await operatorApi().POST('/orders/{orderId}/cancel', {
        params: { path: { orderId: world.completed } },
        body: {},
      });
      expect(direct.response.status).toBe(409);
      const message = (direct.error as { error: { message: string } }).error.message;
      // The page says what the API says.
      await expect(refused.innerText()).resolves.toContain(message);
    } finally {
      await close(s);
    }
  }, 180_000);

  it('redrives a dead letter and rebuilds a projection from the read-side page, and the API shows both', async () => {
    const s = await session(OPERATOR, 'read-side-actions');
    const { page } = s;
    try {
      const letters = await dataOf(
        operatorApi().GET('/dead-letters', { params: { query: { orderId: world.compensationIncomplete } } }),
      );
      const letter = letters.deadLetters.find((l) => l.status === 'open' && /compensation/.test(l.id));
      expect(letter, JSON.stringify(letters)).toBeDefined();
      await open(s, '/read-side');
      const loadsBefore = s.loads();
      await page.getByRole('button', { name: `Redrive ${letter!.id}` }).click();
      await page.getByText(`redrive of ${letter!.id}: accepted`).waitFor();
      const after = await waitFor(
        'the letter to leave open',
        async () => {
          const l = await dataOf(operatorApi().GET('/dead-letters/{id}', { params: { path: { id: letter!.id } } }));
          return l.status !== 'open' ? l : undefined;
        },
        30_000,
      );
      expect(['redrive-requested', 'redriven']).toContain(after.status);
      // Its row leaves the open letters without a reload.
      await page.getByRole('button', { name: `Redrive ${letter!.id}` }).waitFor({ state: 'detached', timeout: 20_000 });

      const before = (await dataOf(operatorApi().GET('/projections'))).projections.find((p) => p.name === 'sales')!;
      await page.getByRole('button', { name: 'Rebuild sales' }).click();
      await page.getByRole('button', { name: 'Confirm rebuild of sales' }).click();
      await page.getByText('Rebuild of sales requested').waitFor();
      const rebuilt = await waitFor(
        'sales to serve from a new generation',
        async () => {
          const row = (await dataOf(operatorApi().GET('/projections'))).projections.find((p) => p.name === 'sales')!;
          return Number(row.generation) > Number(before.generation) && row.state === 'running' ? row : undefined;
        },
        60_000,
      );
      expect(Number(rebuilt.generation)).toBeGreaterThan(Number(before.generation));
      expect(s.loads(), 'the page was not reloaded').toBe(loadsBefore);
    } finally {
      await close(s);
    }
  }, 240_000);

  it(`shows a stalled projection without a reload within PROJECTION_STALL_AFTER + 5 s`, async () => {
    const s = await session(OPERATOR, 'stall');
    const { page } = s;
    const api = operatorApi();
    let writing = true;
    const feeds: URL[] = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname === '/live') feeds.push(url);
    });
    try {
      await open(s, '/read-side');
      await page.getByRole('rowheader', { name: 'accounts', exact: true }).waitFor();
      await page.getByText('live', { exact: true }).first().waitFor();
      const loadsBefore = s.loads();
      await expect(page.locator('#stall-banner').count()).resolves.toBe(0);

      const injected = await faultsOf(api).inject('projection:accounts', { mode: 'error' });
      expect(injected.response.status).toBe(200);
      const faultAt = Date.now();
      // Work for the projection that it cannot do: deposits, every 300 ms.
      const writer = (async () => {
        while (writing) {
          await dataOf(
            api.POST('/accounts/{id}/deposits', { params: { path: { id: world.ada.accountId } }, body: { amount: 1 } }),
          );
          await new Promise((r) => setTimeout(r, 300));
        }
      })();
      const banner = page.getByRole('alert').filter({ hasText: /Stalled: .*accounts/ });
      await banner.waitFor({ timeout: STALL_AFTER + 5_000 });
      const shownAfter = Date.now() - faultAt;
      expect(shownAfter).toBeLessThan(STALL_AFTER + 5_000);
      expect(s.loads(), 'the page was not reloaded').toBe(loadsBefore);
      await expect(page.title()).resolves.toMatch(/^STALLED/);
      await expect(
        page
          .getByRole('row', { name: /^accounts/ })
          .getByText('stalled', { exact: true })
          .isVisible(),
      ).resolves.toBe(true);

      writing = false;
      await writer;
      await faultsOf(api).clear('projection:accounts');
      // And it goes away by itself once the projection moves again.
      await banner.waitFor({ state: 'detached', timeout: 30_000 });
      // Each feed ended after LIVE_FEED_MAX, and the page picked up where it was: a subscription's
      // later requests (same topics; a view that follows other topics opens a subscription of its
      // own) carry the last position seen as `after`, and with the Authorization header (no
      // EventSource). The stall can come and go within one feed's lifetime: wait for a reconnect.
      const reconnects = () => {
        const firstOf = new Set<string>();
        return feeds.filter((u) => {
          const topics = u.searchParams.get('topics') ?? '';
          if (firstOf.has(topics)) return true;
          firstOf.add(topics);
          return false;
        });
      };
      await expect.poll(() => reconnects().length, { timeout: LIVE_FEED_MAX + 10_000 }).toBeGreaterThan(0);
      const resumed = reconnects().map((u) => u.searchParams.get('after'));
      expect(
        resumed.every((after) => after !== null && /^\d+$/.test(after)),
        resumed.join(','),
      ).toBe(true);
    } finally {
      writing = false;
      await faultsOf(api).clear('projection:accounts');
      await close(s);
    }
  }, 180_000);

  it('erases a customer from the customers page after saying what becomes unreadable, and the API shows it', async () => {
    const s = await session(OPERATOR, 'erase');
    const { page } = s;
    try {
      await open(s, `/customers/${world.grace.customerId}`);
      await page.getByText(/^Pseudonym:/).waitFor();
      await page.getByRole('button', { name: /Erase personal data of/ }).click();
      const warning = page.getByRole('group', { name: /cannot be undone/ });
      await expect(warning.innerText()).resolves.toMatch(/OrderCreated: customerId, shippingAddress\.line1/);
      await expect(warning.innerText()).resolves.toContain(ERASED);
      const erase = page.getByRole('button', { name: 'Erase now' });
      await expect(erase.isDisabled()).resolves.toBe(true);
      await page.getByLabel('Type the customer id to confirm').fill(world.grace.customerId);
      await erase.click();
      await page.getByText(`Personal data of ${world.grace.customerId} erased`).waitFor();

      const order = await dataOf(
        operatorApi().GET('/orders/{orderId}', { params: { path: { orderId: world.cancelled } } }),
      );
      expect(order.shippingAddress?.line1).toBe(ERASED);
      const sagas = await dataOf(
        operatorApi().GET('/customers/{customerId}/sagas', {
          params: { path: { customerId: world.grace.customerId } },
        }),
      );
      expect(sagas.sagas).toEqual([]);
      // The page shows the erased order as the API does.
      await open(s, `/orders/${world.cancelled}`);
      await page.getByText(new RegExp(`^\\${ERASED}, `)).waitFor();
    } finally {
      await close(s);
    }
  }, 180_000);

  it("does not show a client another customer's order, even when its URL is typed", async () => {
    const s = await session(CLIENT_ADA, 'client');
    const { page } = s;
    try {
      await open(s, '/orders');
      await page.getByRole('link', { name: world.completed, exact: true }).waitFor();
      const listed = await page.getByRole('table').innerText();
      expect(listed).not.toContain(world.cancelled);
      expect(listed).not.toContain(world.compensationIncomplete);
      expect(listed).not.toContain(world.grace.customerId);

      await open(s, `/orders/${world.compensationIncomplete}`);
      await page
        .getByRole('alert')
        .filter({ hasText: `There is no order ${world.compensationIncomplete}, or this API key may not see it` })
        .waitFor();
      const body = await page.locator('main').innerText();
      expect(body).not.toContain(world.grace.customerId);
      expect(body).not.toContain(world.grace.accountId);
      expect(body).not.toMatch(/OrderCreated|PaymentCompleted/);
    } finally {
      await close(s);
    }
  }, 120_000);

  it('says plainly what is wrong with an unknown order, a stream that does not exist, and an expired key', async () => {
    const s = await session(OPERATOR, 'bad-input');
    const { page } = s;
    try {
      const unknown = randomUUID();
      await open(s, `/orders/${unknown}`);
      await page
        .getByRole('alert')
        .filter({ hasText: `There is no order ${unknown}` })
        .waitFor();

      await open(s, `/streams/order-${unknown}`);
      await page
        .getByRole('alert')
        .filter({ hasText: `Stream order-${unknown} was not found` })
        .waitFor();
      await open(s, '/streams/not a stream');
      await page
        .getByRole('alert')
        .filter({ hasText: /must be a stream id/ })
        .waitFor();

      await open(s, '/no-such-page');
      await page.getByRole('alert').filter({ hasText: 'The console has no page at this address' }).waitFor();
    } finally {
      await close(s);
    }

    const expired = await session(`expired-${randomUUID()}`, 'expired-key');
    try {
      await open(expired, '/orders');
      await expired.page
        .getByRole('alert')
        .filter({ hasText: /The API refused the key/ })
        .first()
        .waitFor();
      await expect(expired.page.locator('main').innerText()).resolves.not.toMatch(/at \w+ \(|TypeError|undefined/);
    } finally {
      await close(expired);
    }
    // Authentication is on: without a key nothing is shown either.
    const anonymous = await session(undefined, 'no-key');
    try {
      await open(anonymous, '/read-side');
      await anonymous.page
        .getByRole('alert')
        .filter({ hasText: /The API refused the key/ })
        .first()
        .waitFor();
      await expect(anonymous.page.getByRole('table').count()).resolves.toBe(0);
    } finally {
      await close(anonymous);
    }
  }, 180_000);
});

/** `npm run typecheck` covers it too; CI's type check is the root project's, which the console (DOM, JSX) is not part of. */
describe("the operator console's source", () => {
  it('typechecks as a browser project (console/tsconfig.json)', async () => {
    const root = path.resolve(__dirname, '..', '..');
    const tsc = require.resolve('typescript/bin/tsc');
    await expect(
      promisify(execFile)(process.execPath, [tsc, '--noEmit', '-p', 'console'], { cwd: root }).then(() => 'clean'),
    ).resolves.toBe('clean');
  }, 120_000);
});

describe('the console files without a build', () => {
  it('answer with how to build them rather than a bare 404', async () => {
    const app = express().use(consoleFiles(path.join(os.tmpdir(), `no-console-${randomUUID()}`)));
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      const answer = await fetch(`http://127.0.0.1:${port}/console/`);
      expect(answer.status).toBe(503);
      await expect(answer.text()).resolves.toContain('npm run console:build');
    } finally {
      server.close();
    }
  });
});
