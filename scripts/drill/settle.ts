import type { Client } from '@temporalio/client';
import { call } from './http-client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until no workflow of the task queue runs and every projection has caught up with the log. */
export async function waitForQuiet(client: Client, baseUrl: string, taskQueue: string, deadline: number): Promise<void> {
  for (;;) {
    let running = 0;
    for await (const _ of client.workflow.list({ query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'` })) running++;
    const lag = (await call(baseUrl, 'GET', '/projections')).body.projections.reduce((n: number, p: { lagEvents: number }) => n + p.lagEvents, 0);
    if (running === 0 && lag === 0) return;
    if (Date.now() > deadline) throw new Error(`did not settle: ${running} workflows running, projection lag ${lag}`);
    await sleep(1_000);
  }
}

interface Letter {
  id: string;
  kind?: string;
  orderId?: string;
  status: string;
  retryable?: boolean;
}

/**
 * Does what the runbook asks of an operator after an outage longer than the compensation budget:
 * redrive every open compensation dead letter, then wait for the redrives to finish. Returns the
 * ids of the orders whose compensations were redriven, and those still open afterwards.
 */
export async function redriveCompensations(client: Client, baseUrl: string, taskQueue: string, deadline: number, say: (m: string) => void) {
  const redriven = new Set<string>();
  for (let round = 1; round <= 3; round++) {
    const open = ((await call(baseUrl, 'GET', '/dead-letters?source=saga&status=open&limit=500')).body.deadLetters as Letter[]).filter((d) => d.kind === 'compensation' && d.retryable !== false);
    if (open.length === 0) break;
    say(`redriving ${open.length} compensation dead letter(s), round ${round}`);
    for (const letter of open) {
      const res = await call(baseUrl, 'POST', `/dead-letters/${encodeURIComponent(letter.id)}/redrive`, undefined, { 'x-operator': 'drill' });
      if (res.status !== 202) throw new Error(`redrive of ${letter.id} answered ${res.status} ${JSON.stringify(res.body)}`);
      if (letter.orderId) redriven.add(letter.orderId);
    }
    await waitForQuiet(client, baseUrl, taskQueue, deadline);
  }
  const stillOpen = ((await call(baseUrl, 'GET', '/dead-letters?source=saga&status=open&limit=500')).body.deadLetters as Letter[]).filter((d) => d.kind === 'compensation');
  return { redrivenOrders: [...redriven], stillOpen: stillOpen.map((d) => d.id) };
}
