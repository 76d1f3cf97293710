import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarioConfig, scenarios, type ScenarioRun } from '../../scripts/saga-scenarios';
import { startStack, type Stack } from '../helpers/stack';
import { readHistoryFile } from '../../scripts/replay';
import { WORKFLOW_NAMES } from '../../workflows/client';
import { alteredWorkflows, replayFixtures } from '../replay/replay-histories';
import { startTemporalWithUi, type TemporalWithUi } from '../helpers/temporal-with-ui';
import { SAGA_STEPS } from '../../domain/orders/steps';
import { compensatedPath, completedPath } from '../helpers/saga-path';

/** The steps that reserve the items and book the shipment, from the step table. */
const RESERVATION = SAGA_STEPS.find((s) => s.service === 'inventory')!.step;
const SHIPMENT = SAGA_STEPS.find((s) => s.service === 'shipping')!.step;

/** Debian's Chromium package; `npx playwright install` cannot download a browser on these machines. */
const CHROMIUM = '/usr/bin/chromium';
const screenshots = path.resolve(__dirname, '..', '..', 'test-results', 'web-ui');

/**
 * The Temporal Web UI, in a real headless browser, shows what our sagas did: an operator finds a
 * saga by its order id and reads its history there. The shared test server runs without the UI, so
 * this file starts a dev server of its own with the UI (same resolution order as everywhere else).
 */
describe('the Temporal Web UI shows the sagas', () => {
  let temporalServer: TemporalWithUi | undefined;
  let stack: Stack | undefined;
  let browser: BrowserContext | undefined;
  let uiUrl: string;
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'web-ui-e2e-chromium-'));

  // A missing browser fails every test here with how to install it (a skipped test would go unnoticed).
  const noBrowser = existsSync(CHROMIUM)
    ? undefined
    : new Error(
        `No Chromium at ${CHROMIUM}: this test drives the Temporal Web UI in a real browser. ` +
          'Install it with `apt-get install -y chromium` (Debian/Ubuntu; .ci/run does this), then run the test again.',
      );

  beforeAll(async () => {
    if (noBrowser) return;
    temporalServer = await startTemporalWithUi();
    uiUrl = temporalServer.uiUrl;
    stack = await startStack({ ...scenarioConfig, TEMPORAL_ADDRESS: temporalServer.address }, { consumers: false });
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      // As ENVIRONMENT.md prescribes for these machines: no sandbox (root), no GPU, nothing that phones home.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1600, height: 1200 },
    });
    mkdirSync(screenshots, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await temporalServer?.stop();
    rmSync(userDataDir, { recursive: true, force: true });
  });

  const run = (name: string) => {
    if (noBrowser) throw noBrowser;
    return scenarios.find((s) => s.name === name)!.run(stack!);
  };

  /** The workflows list with a visibility query, as an operator types it into the UI's filter. */
  async function findSaga(page: Page, query: string, saga: ScenarioRun) {
    await page.goto(`${uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
    // Visibility is eventually consistent: reload until the list shows the saga.
    const link = page.getByRole('link', { name: saga.workflowId, exact: true });
    for (let attempt = 0; ; attempt += 1) {
      try {
        await link.waitFor({ state: 'visible', timeout: 5_000 });
        break;
      } catch (err) {
        if (attempt === 3)
          throw new Error(`The Web UI's workflow list for ${query} never showed ${saga.workflowId}: ${String(err)}`);
        await page.reload();
      }
    }
    const row = page.locator('tr', { has: link });
    expect(await row.innerText()).toContain(WORKFLOW_NAMES.orderSaga);
    expect(await page.getByRole('link', { name: /^order-/ }).count(), `only the one saga matches ${query}`).toBe(1);
    return row;
  }

  /** Opens the saga from the list and reads its event history table, oldest event first. */
  async function openHistory(page: Page, saga: ScenarioRun) {
    await page.getByRole('link', { name: saga.workflowId, exact: true }).click();
    // The UI opens a workflow on its timeline (2.54) or its history (earlier); the history is read here.
    await page.waitForURL(new RegExp(`/workflows/${saga.workflowId}/[^/]+/(history|timeline)`));
    if (!page.url().endsWith('/history')) await page.goto(page.url().replace(/\/timeline(\?.*)?$/, '/history'));
    await page.getByRole('heading', { name: saga.workflowId }).waitFor();
    const rows = page.locator('tr', { hasText: 'Workflow Execution Started' });
    await rows.first().waitFor();
    const events = await page.locator('tbody tr').allInnerTexts();
    return events
      .map((text) => ({
        id: Number(/^\s*(\d+)/.exec(text)?.[1]),
        lines: text
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean),
      }))
      .filter((e) => Number.isFinite(e.id))
      .sort((a, b) => a.id - b.id);
  }
  /** The UI's "Download" of the open workflow's event history, saved under test-results/web-ui. */
  async function downloadHistory(page: Page, saga: ScenarioRun): Promise<string> {
    const downloading = page.waitForEvent('download', { timeout: 30_000 });
    await page
      .getByRole('button', { name: /download/i })
      .first()
      .click();
    // Newer UIs ask first (decode the payloads or not) in a dialog with its own Download button.
    const confirm = page.getByRole('dialog').getByRole('button', { name: /download/i });
    if (await confirm.isVisible({ timeout: 3_000 }).catch(() => false)) await confirm.click();
    const download = await downloading;
    const file = path.join(screenshots, `${saga.workflowId}.history.json`);
    await download.saveAs(file);
    return file;
  }
  const after = (lines: string[], label: string) => lines[lines.indexOf(label) + 1];
  // createOrder runs as a local activity: the UI shows its marker as a "Local Activity" row, with its type and summary.
  const activities = (events: Array<{ lines: string[] }>) =>
    events
      .filter((e) => e.lines.includes('Activity Task Scheduled') || e.lines.includes('Local Activity'))
      .map((e) => after(e.lines, 'Activity Type'));
  const signals = (events: Array<{ lines: string[] }>) =>
    events.filter((e) => e.lines.includes('Workflow Execution Signaled')).map((e) => after(e.lines, 'Signal Name'));

  it('finds an approved saga by its OrderId and shows the approve signal and every step in its history', async () => {
    const saga = await run('approved');
    const page = await browser!.newPage();
    try {
      const row = await findSaga(page, `OrderId="${saga.orderId}"`, saga);
      // "Completed" or "COMPLETED", depending on the UI version.
      expect((await row.innerText()).toLowerCase()).toContain('completed');
      const events = await openHistory(page, saga);
      expect(signals(events)).toEqual(['approve']);
      expect(activities(events)).toEqual(completedPath({ approved: true }));
      await expect.poll(() => page.locator('body').innerText()).toMatch(/"status":\s*"COMPLETED"/);
      // The saga tells its story: the start event carries the order's summary, each step and the
      // approval timer their own.
      const id8 = saga.orderId.slice(0, 8);
      const summaries = events.filter((e) => e.lines.includes('Summary')).map((e) => after(e.lines, 'Summary'));
      expect(summaries).toEqual(
        expect.arrayContaining([
          expect.stringMatching(new RegExp(`^Order ${id8}… · \\d+ items? · \\$\\d+\\.\\d{2}$`)),
          expect.stringMatching(/^price and record the order \(\d+ lines?\)$/),
          expect.stringMatching(/^charge \$\d+\.\d{2} to account [\w-]{8}…$/),
          expect.stringMatching(/^reserve \d+× \S+/),
          expect.stringMatching(/^wait up to .+ for approval$/),
          'book the shipment',
          'mark the order completed',
        ]),
      );
      // Its user metadata: the summary, the Markdown details and the current details, which
      // followed the status to the end. The UI renders Markdown in frames of their own.
      await page.getByText('User Metadata', { exact: true }).first().click();
      await expect
        .poll(async () =>
          (
            await Promise.all(
              page.frames().map((f) =>
                f
                  .locator('body')
                  .innerText()
                  .catch(() => ''),
              ),
            )
          ).join('\n'),
        )
        .toMatch(new RegExp(`Order ${id8}… · [\\s\\S]*Ships to [\\s\\S]*Status COMPLETED`));
    } finally {
      await page.screenshot({ path: path.join(screenshots, 'approved-saga.png'), fullPage: true }).catch(() => {});
      await page.close();
    }
  });

  it('finds a compensated saga by its workflow id and shows the compensations after the failed reservation', async () => {
    const saga = await run('out-of-stock');
    const page = await browser!.newPage();
    try {
      await findSaga(page, `WorkflowId="${saga.workflowId}"`, saga);
      const events = await openHistory(page, saga);
      expect(activities(events)).toEqual(compensatedPath(RESERVATION));
      expect(
        events.some(
          (e) => e.lines.includes('Activity Task Failed') && e.lines.some((line) => /out of stock/.test(line)),
        ),
      ).toBe(true);
      await expect.poll(() => page.locator('body').innerText()).toMatch(/"status":\s*"CANCELLED"/);

      // The history as an operator downloads it from the UI is what `npm run replay` checks: it
      // replays on this code, and the first diverging event is named on code that changed a step.
      const file = await downloadHistory(page, saga);
      const history = readHistoryFile(file);
      expect(history.history.events?.length).toBe(events.length);
      expect(await replayFixtures([history])).toEqual([]);
      // A build that books the shipment where the saga reserved the items.
      const changed = alteredWorkflows(
        'ui-download',
        (s) => s.replace(`step: '${RESERVATION}'`, `step: '${SHIPMENT}'`),
        '../domain/orders/steps.ts',
      );
      const [failure] = await replayFixtures([history], changed);
      expect(failure?.divergingEvent?.description).toBe(`ActivityTaskScheduled '${RESERVATION}'`);
      expect(failure?.message).toContain(path.basename(file));
    } finally {
      await page.screenshot({ path: path.join(screenshots, 'compensated-saga.png'), fullPage: true }).catch(() => {});
      await page.close();
    }
  });
});
