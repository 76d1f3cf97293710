import type { Client } from '@temporalio/client';
import type { ApiClient } from '../../api/client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until no workflow of the task queue runs and every projection has caught up with the log. */
export async function waitForQuiet(client: Client, api: ApiClient, taskQueue: string, deadline: number): Promise<void> {
  for (;;) {
    let running = 0;
    for await (const _ of client.workflow.list({ query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'` }))
      running++;
    const { data, response } = await api.GET('/projections');
    if (!data) throw new Error(`GET /projections answered ${response.status}`);
    const lag = data.projections.reduce((n, p) => n + p.lagEvents, 0);
    if (running === 0 && lag === 0) return;
    if (Date.now() > deadline) throw new Error(`did not settle: ${running} workflows running, projection lag ${lag}`);
    await sleep(1_000);
  }
}

/**
 * Does what the runbook asks of an operator after an outage longer than the compensation budget:
 * redrive every open compensation dead letter, then wait for the redrives to finish. Returns the
 * ids of the orders whose compensations were redriven, and those still open afterwards.
 */
export async function redriveCompensations(
  client: Client,
  api: ApiClient,
  taskQueue: string,
  deadline: number,
  say: (m: string) => void,
) {
  const openLetters = async () => {
    const { data, response } = await api.GET('/dead-letters', {
      params: { query: { source: 'saga', status: 'open', limit: 500 } },
    });
    if (!data) throw new Error(`GET /dead-letters answered ${response.status}`);
    return data.deadLetters;
  };
  const redriven = new Set<string>();
  for (let round = 1; round <= 3; round++) {
    const open = (await openLetters()).filter((d) => d.kind === 'compensation' && d.retryable !== false);
    if (open.length === 0) break;
    say(`redriving ${open.length} compensation dead letter(s), round ${round}`);
    for (const letter of open) {
      const { response, error } = await api.POST('/dead-letters/{id}/redrive', {
        params: { path: { id: letter.id } },
        headers: { 'x-operator': 'drill' },
      });
      if (response.status !== 202)
        throw new Error(`redrive of ${letter.id} answered ${response.status} ${JSON.stringify(error)}`);
      // The contract leaves a dead letter's other fields open (they differ by source): a saga's names its order.
      if (typeof letter.orderId === 'string') redriven.add(letter.orderId);
    }
    await waitForQuiet(client, api, taskQueue, deadline);
  }
  const stillOpen = (await openLetters()).filter((d) => d.kind === 'compensation');
  return { redrivenOrders: [...redriven], stillOpen: stillOpen.map((d) => d.id) };
}
