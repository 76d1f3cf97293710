import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { GAP_TYPE, type EventStore, type StoredEvent } from '../../eventstore';
import { deadLetterCollection } from '../../infra/dead-letters';
import { createFaults } from '../../infra/faults';
import { createLogger } from '../../infra/logger';
import { projections, compareWithRebuild, projectionState, physicalName } from '../../readside';
import { gapMarkerFigures, type GapMarkerFigures } from './gap-markers';
import type { ApiClient } from '../../api/client';

export interface PlacedOrder {
  orderId: string;
  accountId: string;
  items: Array<{ sku: string; quantity: number }>;
  /** When the API answered 202 (ms since the epoch). */
  acceptedAt: number;
  /** How long after the 202 `GET /orders/:id` first answered 200 (absent: not within the bound). */
  readableAfterMs?: number;
  /** The cancel storm's request for this order, if it had one, and the API's answer. */
  cancel?: { status: number; afterMs: number; answer?: string };
  /**
   * For an order shipped to an address the carrier refuses: the repair the drill gave its saga
   * (`none` when the saga ended before it needed one), the API's answers, and how often it waited.
   */
  repair?: {
    action: RepairAction | 'none';
    answers: number[];
    waits: number;
    endedWithout?: string;
    problem?: string;
  };
  /** Placed while its payment service was down for longer than the step's retry budget (./outage.ts). */
  duringOutage?: boolean;
  /** Its saga was terminated mid-way by the drill (./terminate.ts), and how the sweep settled it. */
  terminated?: { atStatus?: string; settledAs?: string };
}

export type RepairAction = 'retry' | 'correct' | 'compensate';

/** What the long outage did, as measured by ./outage.ts. */
export interface OutageFigures {
  service: string;
  outageMs: number;
  /** The step's whole retry budget: every attempt timing out, every backoff in full. */
  stepBudgetMs: number;
  orders: number;
  placedWithinMs: number;
  /** Attempts of the step's activity across the outage's orders, and how many activities held them. */
  attempts: number;
  activities: number;
  /** At most this many attempts: fewer than the orders' retry budgets would have spent. */
  attemptBound: number;
  breakerWaits: number;
  /** Breaker transitions during the outage phase, from /metrics (after minus before). */
  transitions: { open: number; 'half-open': number; closed: number };
  /** The breaker as GET /breakers answers after the outage's orders ended. */
  breakerAfter: { status: string; by?: string } | null;
}

export interface InvariantOptions {
  api: ApiClient;
  faultsInjected: string[];
  readableWithinMs: number;
  /** Orders whose compensation was dead-lettered and then redriven by the drill. */
  redrivenOrders: string[];
  /** Compensation dead letters still open after the redrives. */
  stillOpen: string[];
  /** The long dependency outage, when the drill ran one. */
  outage?: OutageFigures;
}

export interface InvariantReport {
  checks: Record<string, { ok: boolean; detail: string }>;
  violations: string[];
  figures: Record<string, number>;
  gapMarkers: GapMarkerFigures;
}

/** Checks the promises of the platform against the event log, the services' state and the read models. */
export async function checkInvariants(
  { db, store }: { db: Db; store: EventStore },
  client: Client,
  orders: PlacedOrder[],
  options: InvariantOptions,
): Promise<InvariantReport> {
  const { faultsInjected } = options;
  const violations: string[] = [];
  const checks: InvariantReport['checks'] = {};
  const figures: Record<string, number> = {};
  const record = (name: string, problems: string[], detail: string) => {
    checks[name] = {
      ok: problems.length === 0,
      detail: problems.length ? `${problems.length} violation(s): ${problems.slice(0, 5).join('; ')}` : detail,
    };
    violations.push(...problems.map((p) => `${name}: ${p}`));
  };
  const events = (await db
    .collection('events')
    .find({}, { projection: { _id: 0, batch: 0 } })
    .sort({ position: 1 })
    .toArray()) as unknown as StoredEvent[];

  // 1. Every saga reached a terminal state, and the order says so: COMPLETED, or CANCELLED once
  //    every compensation ran (a saga that ended COMPENSATION_INCOMPLETE is CANCELLED after its
  //    dead letters were redriven).
  const outcome = new Map<string, 'COMPLETED' | 'CANCELLED'>();
  {
    const problems: string[] = [];
    figures.compensationIncomplete = 0;
    for (const o of orders) {
      const handle = client.workflow.getHandle(`order-${o.orderId}`);
      const d = await handle.describe();
      let sagaEnd: string;
      if (d.status.name === 'COMPLETED') sagaEnd = ((await handle.result()) as { status: string }).status;
      else if (d.status.name === 'CANCELLED') sagaEnd = 'CANCELLED';
      else if (d.status.name === 'TERMINATED' && o.terminated) {
        // Terminated by the drill: its settlement, not the saga, brings it to an end.
        const settle = await client.workflow
          .getHandle(`settle-${o.orderId}`)
          .describe()
          .catch(() => undefined);
        if (settle?.status.name !== 'COMPLETED') {
          problems.push(`order ${o.orderId} saga terminated, its settlement is ${settle?.status.name ?? 'missing'}`);
          continue;
        }
        sagaEnd = 'CANCELLED';
      } else {
        problems.push(`order ${o.orderId} saga is ${d.status.name}`);
        continue;
      }
      if (sagaEnd === 'COMPENSATION_INCOMPLETE') figures.compensationIncomplete++;
      // What users see: the API's read model, not the service's own document.
      const status = (await options.api.GET('/orders/{orderId}', { params: { path: { orderId: o.orderId } } })).data
        ?.status;
      const expected = sagaEnd === 'COMPLETED' ? 'COMPLETED' : 'CANCELLED';
      if (status !== expected)
        problems.push(`order ${o.orderId}: saga ended ${sagaEnd}, order is ${status ?? 'missing'}`);
      else outcome.set(o.orderId, expected);
    }
    figures.completed = [...outcome.values()].filter((s) => s === 'COMPLETED').length;
    figures.cancelled = [...outcome.values()].filter((s) => s === 'CANCELLED').length;
    if (options.stillOpen.length)
      problems.push(
        `${options.stillOpen.length} compensation dead letter(s) still open after redrive: ${options.stillOpen.slice(0, 3).join(', ')}`,
      );
    record(
      'every saga terminal',
      problems,
      `${orders.length} sagas: ${figures.completed} completed, ${figures.cancelled} cancelled (${figures.compensationIncomplete} of them ended COMPENSATION_INCOMPLETE and were redriven), 0 stuck`,
    );
  }

  // 1b. Never both: no order stream holds OrderCompleted together with a compensation.
  {
    const problems: string[] = [];
    const byStream = new Map<string, Set<string>>();
    for (const e of events)
      if (e.streamType === 'order') byStream.set(e.streamId, (byStream.get(e.streamId) ?? new Set()).add(e.type));
    for (const [streamId, types] of byStream) {
      if (types.has('OrderCompleted') && (types.has('OrderCancelled') || types.has('OrderCompensating')))
        problems.push(`${streamId} holds ${[...types].join(', ')}`);
      if (!types.has('OrderCreated')) problems.push(`${streamId} has no OrderCreated (${[...types].join(', ')})`);
    }
    record(
      'never completed and cancelled',
      problems,
      `${byStream.size} order streams, none with both OrderCompleted and a compensation, each starting with OrderCreated`,
    );
  }

  // 1c. Every order the API accepted was readable within the bound.
  {
    const problems = orders
      .filter((o) => o.readableAfterMs === undefined)
      .map((o) => `order ${o.orderId} not readable ${options.readableWithinMs} ms after its 202`);
    const times = orders
      .map((o) => o.readableAfterMs)
      .filter((t): t is number => t !== undefined)
      .sort((a, b) => a - b);
    figures.readableP50Ms = times[Math.floor(times.length / 2)] ?? 0;
    figures.readableMaxMs = times.at(-1) ?? 0;
    record(
      'accepted orders readable',
      problems,
      `every 202 order answered GET /orders/:id within ${options.readableWithinMs} ms (p50 ${figures.readableP50Ms} ms, max ${figures.readableMaxMs} ms)`,
    );
  }

  // 1d. A cancel the API accepted (202) is honoured; a refused one (409) leaves the order to its fate.
  {
    const problems: string[] = [];
    const storm = orders.filter((o) => o.cancel);
    for (const o of storm) {
      const { status, answer } = o.cancel!;
      if (status === 202 && outcome.get(o.orderId) !== 'CANCELLED')
        problems.push(
          `order ${o.orderId}: cancel accepted ${o.cancel!.afterMs} ms in, order ${outcome.get(o.orderId)}`,
        );
      if (status !== 202 && status !== 409) problems.push(`order ${o.orderId}: cancel answered ${status} ${answer}`);
    }
    figures.cancelsAccepted = storm.filter((o) => o.cancel!.status === 202).length;
    figures.cancelsRefused = storm.filter((o) => o.cancel!.status === 409).length;
    record(
      'accepted cancels honoured',
      problems,
      `${storm.length} cancels at random moments: ${figures.cancelsAccepted} accepted (all ended CANCELLED), ${figures.cancelsRefused} refused with 409`,
    );
  }

  // 1e. A saga waiting in NEEDS_ATTENTION ends as its repair promised: `correct` (and `retry`,
  //     refused again, waiting again, then corrected) completed with one booking; `compensate`
  //     cancelled with the charge refunded, the items released and nothing booked.
  {
    const problems: string[] = [];
    const refused = orders.filter((o) => o.repair);
    const about = (orderId: string) =>
      events.filter((e) => {
        const data = e.data as { orderId?: string; reference?: string } | null;
        return data?.orderId === orderId || data?.reference === orderId;
      });
    const byAction: Record<string, number> = { correct: 0, retry: 0, compensate: 0, none: 0 };
    const endedBefore: string[] = [];
    for (const o of refused) {
      const r = o.repair!;
      byAction[r.action] = (byAction[r.action] ?? 0) + 1;
      if (r.problem) problems.push(`order ${o.orderId} (${r.action}): ${r.problem}`);
      if (r.action === 'none') {
        // Only a step before the shipment (stock short) may end it first; never the carrier's refusal.
        if (!/^CANCELLED\b/.test(r.endedWithout ?? '') || /deliver|carrier|postal/i.test(r.endedWithout ?? ''))
          problems.push(`order ${o.orderId}: ended ${r.endedWithout ?? 'nowhere'} without waiting for a repair`);
        endedBefore.push(r.endedWithout!);
        continue;
      }
      if (r.answers.some((a) => a !== 202))
        problems.push(`order ${o.orderId} (${r.action}): answered ${r.answers.join()}`);
      const count = (type: string) => about(o.orderId).filter((e) => e.type === type).length;
      const expectedWaits = r.action === 'retry' ? 2 : 1;
      if (count('OrderNeedsAttention') !== expectedWaits)
        problems.push(
          `order ${o.orderId} (${r.action}): ${count('OrderNeedsAttention')} OrderNeedsAttention, ${expectedWaits} expected`,
        );
      const moved = [
        count('PaymentCompleted'),
        count('ItemsReserved'),
        count('ShipmentScheduled'),
        count('PaymentRefunded'),
        count('ItemsReleased'),
      ];
      if (r.action === 'compensate') {
        if (outcome.get(o.orderId) !== 'CANCELLED')
          problems.push(`order ${o.orderId} compensated by the operator is ${outcome.get(o.orderId) ?? 'not settled'}`);
        if (moved.join() !== '1,1,0,1,1')
          problems.push(
            `order ${o.orderId} (compensate): charged, reserved, booked, refunded, released ${moved.join()}`,
          );
      } else {
        if (outcome.get(o.orderId) !== 'COMPLETED')
          problems.push(`order ${o.orderId} (${r.action}) is ${outcome.get(o.orderId) ?? 'not settled'}`);
        if (moved.join() !== '1,1,1,0,0')
          problems.push(
            `order ${o.orderId} (${r.action}): charged, reserved, booked, refunded, released ${moved.join()}`,
          );
      }
    }
    figures.repairedCorrect = byAction.correct!;
    figures.repairedRetry = byAction.retry!;
    figures.repairedCompensate = byAction.compensate!;
    figures.refusedEndedBeforeRepair = byAction.none!;
    record(
      'repaired sagas end as promised',
      problems,
      `${refused.length} orders to addresses the carrier refuses: ${byAction.correct} corrected and completed once, ${byAction.retry} retried (refused again, waited again, then corrected and completed once), ${byAction.compensate} compensated with the charge refunded and the items released, ${byAction.none} ended before needing a repair${endedBefore.length ? ` (${endedBefore.join('; ')})` : ''}`,
    );
  }

  // 1e'. A saga terminated mid-way is settled by the sweep: cancelled, its charge refunded, its
  //      items released, nothing booked, exactly as its own compensation would have left it.
  {
    const problems: string[] = [];
    const terminated = orders.filter((o) => o.terminated);
    for (const o of terminated) {
      if (outcome.get(o.orderId) !== 'CANCELLED')
        problems.push(`terminated order ${o.orderId} is ${outcome.get(o.orderId) ?? 'not settled'}`);
      const mine = events.filter((e) => {
        const data = e.data as { orderId?: string; reference?: string } | null;
        return data?.orderId === o.orderId || data?.reference === o.orderId;
      });
      const moved = ['PaymentCompleted', 'ItemsReserved', 'ShipmentScheduled', 'PaymentRefunded', 'ItemsReleased'].map(
        (type) => mine.filter((e) => e.type === type).length,
      );
      if (moved.join() !== '1,1,0,1,1')
        problems.push(`terminated order ${o.orderId}: charged, reserved, booked, refunded, released ${moved.join()}`);
      if (!o.terminated!.settledAs?.startsWith('settled'))
        problems.push(`terminated order ${o.orderId}: settlement ${o.terminated!.settledAs ?? 'not listed'}`);
    }
    figures.terminatedSettled = terminated.length;
    record(
      'terminated sagas settled',
      problems,
      `${terminated.length} sagas terminated while waiting in NEEDS_ATTENTION (paid, items reserved): each settled by the sweep, cancelled with its charge refunded and its items released`,
    );
  }

  // 1f. A dependency down for longer than its step's retry budget compensates nothing: every order
  //     placed during it completes, its breaker opened and closed, and its attempts stay bounded.
  if (options.outage) {
    const problems: string[] = [];
    const x = options.outage;
    const during = orders.filter((o) => o.duringOutage);
    for (const o of during) {
      if (outcome.get(o.orderId) !== 'COMPLETED')
        problems.push(`order ${o.orderId} placed during the outage is ${outcome.get(o.orderId) ?? 'not settled'}`);
      if (events.some((e) => e.streamId === `order-${o.orderId}` && e.type === 'OrderCompensating'))
        problems.push(`order ${o.orderId} placed during the outage compensated`);
    }
    if (during.length !== x.orders) problems.push(`${during.length} orders marked, ${x.orders} placed`);
    if (x.outageMs <= x.stepBudgetMs)
      problems.push(`the outage (${x.outageMs} ms) does not outlast the step's budget (${x.stepBudgetMs} ms)`);
    if (x.placedWithinMs >= x.outageMs)
      problems.push(`the orders were placed in ${x.placedWithinMs} ms, not within the ${x.outageMs} ms outage`);
    if (x.transitions.open < 1 || x.transitions.closed < 1)
      problems.push(`breaker transitions during the outage: ${JSON.stringify(x.transitions)}`);
    if (x.breakerAfter?.status !== 'closed')
      problems.push(`the ${x.service} breaker is ${JSON.stringify(x.breakerAfter)} after the outage`);
    if (x.attempts > x.attemptBound)
      problems.push(`${x.attempts} ${x.service} attempts during the outage, more than ${x.attemptBound}`);
    if (x.breakerWaits < 1) problems.push('no saga waited on the breaker');
    figures.outageOrders = during.length;
    figures.outageAttempts = x.attempts;
    record(
      'long outage compensates nothing',
      problems,
      `${x.service} down ${x.outageMs / 1_000} s (its step's budget ${(x.stepBudgetMs / 1_000).toFixed(1)} s): ${during.length} orders placed during it all completed, none compensated; breaker opened ${x.transitions.open}, half-opened ${x.transitions['half-open']}, closed ${x.transitions.closed} time(s); ${x.attempts} attempts in ${x.activities} activities (bound ${x.attemptBound}), ${x.breakerWaits} waits on the breaker`,
    );
  }

  // 2. The log: one event or gap marker per position, no duplicate (stream, version).
  {
    const problems: string[] = [];
    const head = await store.headPosition();
    events.forEach((e, i) => {
      if (e.position !== i + 1) problems.push(`position ${i + 1} holds ${e.position}`);
    });
    if (events.length !== head) problems.push(`${events.length} documents for head ${head}`);
    const seen = new Set<string>();
    for (const e of events) {
      if (e.type === GAP_TYPE) continue;
      const key = `${e.streamId}@${e.version}`;
      if (seen.has(key)) problems.push(`duplicate ${key}`);
      seen.add(key);
    }
    figures.events = events.filter((e) => e.type !== GAP_TYPE).length;
    figures.gapMarkers = events.length - figures.events;
    figures.gapMarkersPer1000Events = gapMarkerFigures(events).per1000Events;
    record(
      'event log complete and unduplicated',
      problems,
      `${figures.events} events and ${figures.gapMarkers} gap markers fill positions 1..${head}`,
    );
  }

  // 3. Money: balances are the fold of their events, never negative; each order charged at most once and refunded iff cancelled after a charge.
  {
    const problems: string[] = [];
    const byAccount = new Map<string, StoredEvent[]>();
    for (const e of events)
      if (e.streamType === 'account') byAccount.set(e.streamId, [...(byAccount.get(e.streamId) ?? []), e]);
    const readModel = db.collection(
      physicalName('accounts', 'accounts', (await projectionState(db, 'accounts')).active),
    );
    for (const [streamId, stream] of byAccount) {
      let balance = 0;
      for (const e of stream) {
        const data = e.data as { initial?: number; amount?: number };
        balance +=
          e.type === 'AccountOpened' ? (data.initial ?? 0) : e.type === 'Deposited' ? data.amount! : -data.amount!;
        if (balance < 0) problems.push(`${streamId} negative after version ${e.version}`);
      }
      const listed = await readModel.findOne({ _id: streamId.slice('account-'.length) as never });
      if (listed?.balance !== balance) problems.push(`${streamId}: read model ${listed?.balance}, events ${balance}`);
    }
    for (const o of orders) {
      const money = events.filter(
        (e) => e.streamType === 'account' && (e.data as { reference?: string }).reference === o.orderId,
      );
      const charges = money.filter((e) => e.type === 'Withdrawn').length;
      const refunds = money.filter((e) => e.type === 'Deposited').length;
      const status = outcome.get(o.orderId);
      if (charges > 1 || refunds > 1) problems.push(`order ${o.orderId}: ${charges} charges, ${refunds} refunds`);
      if (status === 'COMPLETED' && (charges !== 1 || refunds !== 0))
        problems.push(`completed order ${o.orderId}: ${charges} charges, ${refunds} refunds`);
      if (status === 'CANCELLED' && charges !== refunds)
        problems.push(`cancelled order ${o.orderId}: ${charges} charges, ${refunds} refunds`);
    }
    figures.accounts = byAccount.size;
    record(
      'money moved exactly once',
      problems,
      `${byAccount.size} accounts fold to their balances, never negative; completed orders charged once, cancelled ones refunded once if charged`,
    );
  }

  // 4. Stock is conserved: restocked = available + reserved per SKU, and reserved = what completed orders hold.
  {
    const problems: string[] = [];
    const restocked = new Map<string, number>();
    for (const e of events)
      if (e.type === 'StockAdjusted')
        restocked.set(
          (e.data as { sku: string }).sku,
          (restocked.get((e.data as { sku: string }).sku) ?? 0) + (e.data as { quantity: number }).quantity,
        );
    const held = new Map<string, number>();
    for (const o of orders)
      if (outcome.get(o.orderId) === 'COMPLETED')
        for (const i of o.items) held.set(i.sku, (held.get(i.sku) ?? 0) + i.quantity);
    for (const doc of await db
      .collection<{ _id: string; available: number; reserved: number }>('inventory')
      .find()
      .toArray()) {
      const total = restocked.get(doc._id) ?? 0;
      if (doc.available + doc.reserved !== total)
        problems.push(`${doc._id}: ${doc.available} + ${doc.reserved} != ${total}`);
      if (doc.reserved !== (held.get(doc._id) ?? 0))
        problems.push(`${doc._id}: reserved ${doc.reserved}, completed orders hold ${held.get(doc._id) ?? 0}`);
      if (doc.available < 0) problems.push(`${doc._id}: negative stock`);
    }
    record(
      'stock conserved',
      problems,
      `available + reserved = restocked for every SKU; reserved = units of completed orders`,
    );
  }

  // 5. Read models equal a fresh rebuild from the log.
  {
    const problems: string[] = [];
    const deps = { db, store, faults: createFaults(db), log: createLogger('drill-verify', 'silent') };
    for (const p of projections) {
      const result = await compareWithRebuild(p, deps);
      if (!result.equal)
        problems.push(
          `${p.name} differs from a rebuild (${result.liveDocuments} vs ${result.rebuiltDocuments} documents)`,
        );
    }
    record(
      'read models equal a rebuild',
      problems,
      `${projections.length} projections rebuilt from position 0 and compared`,
    );
  }

  // 6. Notifications exactly once.
  {
    const problems: string[] = [];
    const emails = await db.collection<{ orderId: string; kind: string }>('emails').find().toArray();
    for (const o of orders) {
      const mine = emails
        .filter((e) => e.orderId === o.orderId)
        .map((e) => e.kind)
        .sort();
      const expected =
        outcome.get(o.orderId) === 'COMPLETED'
          ? ['order-confirmed', 'order-received']
          : ['order-cancelled', 'order-received'];
      if (mine.join() !== expected.join()) problems.push(`order ${o.orderId}: sent [${mine.join()}]`);
    }
    figures.emails = emails.length;
    record(
      'notifications exactly once',
      problems,
      `${emails.length} emails: one received and one confirmed/cancelled notice per order`,
    );
  }

  // 7. Dead letters only where a fault made them.
  {
    const problems: string[] = [];
    const letters = await deadLetterCollection(db).find().toArray();
    for (const d of letters) {
      const explained =
        /fault injected|ECONNREFUSED|connect|Server selection|topology|unavailable|timed out|timeout/i.test(d.error);
      if (!explained) problems.push(`${d._id}: ${d.error}`);
    }
    figures.deadLetters = letters.length;
    record(
      'dead letters only from faults',
      problems,
      `${letters.length} dead letters${letters.length ? ' (each from an injected fault)' : ''}; faults injected: ${faultsInjected.length}`,
    );
  }

  return { checks, violations, figures, gapMarkers: gapMarkerFigures(events) };
}
