import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { createEventStore, GAP_TYPE, type StoredEvent } from '../../eventstore';
import { createFaults } from '../../infra/faults';
import { createLogger } from '../../infra/logger';
import { projections } from '../../projections';
import { compareWithRebuild } from '../../projections/verify';
import { projectionState } from '../../projections/generations';
import { physicalName } from '../../projections/generations';

export interface PlacedOrder {
  orderId: string;
  accountId: string;
  items: Array<{ sku: string; quantity: number }>;
}

export interface InvariantReport {
  checks: Record<string, { ok: boolean; detail: string }>;
  violations: string[];
  figures: Record<string, number>;
}

/** Checks the promises of the platform against the event log, the services' state and the read models. */
export async function checkInvariants(db: Db, client: Client, orders: PlacedOrder[], faultsInjected: string[]): Promise<InvariantReport> {
  const violations: string[] = [];
  const checks: InvariantReport['checks'] = {};
  const figures: Record<string, number> = {};
  const record = (name: string, problems: string[], detail: string) => {
    checks[name] = { ok: problems.length === 0, detail: problems.length ? `${problems.length} violation(s): ${problems.slice(0, 5).join('; ')}` : detail };
    violations.push(...problems.map((p) => `${name}: ${p}`));
  };
  const store = createEventStore(db);
  const events = (await db.collection('events').find({}, { projection: { _id: 0, batch: 0 } }).sort({ position: 1 }).toArray()) as unknown as StoredEvent[];

  // 1. Every saga reached a terminal state.
  const outcome = new Map<string, 'COMPLETED' | 'CANCELLED'>();
  {
    const problems: string[] = [];
    for (const o of orders) {
      const d = await client.workflow.getHandle(`order-${o.orderId}`).describe();
      if (d.status.name === 'COMPLETED') {
        const result = (await client.workflow.getHandle(`order-${o.orderId}`).result()) as { status: 'COMPLETED' | 'CANCELLED' };
        outcome.set(o.orderId, result.status);
      } else if (d.status.name === 'CANCELLED') outcome.set(o.orderId, 'CANCELLED');
      else problems.push(`order ${o.orderId} saga is ${d.status.name}`);
    }
    figures.completed = [...outcome.values()].filter((s) => s === 'COMPLETED').length;
    figures.cancelled = [...outcome.values()].filter((s) => s === 'CANCELLED').length;
    record('every saga terminal', problems, `${orders.length} sagas: ${figures.completed} completed, ${figures.cancelled} cancelled, 0 stuck`);
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
    record('event log complete and unduplicated', problems, `${figures.events} events and ${figures.gapMarkers} gap markers fill positions 1..${head}`);
  }

  // 3. Money: balances are the fold of their events, never negative; each order charged at most once and refunded iff cancelled after a charge.
  {
    const problems: string[] = [];
    const byAccount = new Map<string, StoredEvent[]>();
    for (const e of events) if (e.streamType === 'account') byAccount.set(e.streamId, [...(byAccount.get(e.streamId) ?? []), e]);
    const readModel = db.collection(physicalName('accounts', 'accounts', (await projectionState(db, 'accounts')).active));
    for (const [streamId, stream] of byAccount) {
      let balance = 0;
      for (const e of stream) {
        const data = e.data as { initial?: number; amount?: number };
        balance += e.type === 'AccountOpened' ? data.initial ?? 0 : e.type === 'Deposited' ? data.amount! : -data.amount!;
        if (balance < 0) problems.push(`${streamId} negative after version ${e.version}`);
      }
      const listed = await readModel.findOne({ _id: streamId.slice('account-'.length) as never });
      if (listed?.balance !== balance) problems.push(`${streamId}: read model ${listed?.balance}, events ${balance}`);
    }
    for (const o of orders) {
      const money = events.filter((e) => e.streamType === 'account' && (e.data as { reference?: string }).reference === o.orderId);
      const charges = money.filter((e) => e.type === 'Withdrawn').length;
      const refunds = money.filter((e) => e.type === 'Deposited').length;
      const status = outcome.get(o.orderId);
      if (charges > 1 || refunds > 1) problems.push(`order ${o.orderId}: ${charges} charges, ${refunds} refunds`);
      if (status === 'COMPLETED' && (charges !== 1 || refunds !== 0)) problems.push(`completed order ${o.orderId}: ${charges} charges, ${refunds} refunds`);
      if (status === 'CANCELLED' && charges !== refunds) problems.push(`cancelled order ${o.orderId}: ${charges} charges, ${refunds} refunds`);
    }
    figures.accounts = byAccount.size;
    record('money moved exactly once', problems, `${byAccount.size} accounts fold to their balances, never negative; completed orders charged once, cancelled ones refunded once if charged`);
  }

  // 4. Stock is conserved: restocked = available + reserved per SKU, and reserved = what completed orders hold.
  {
    const problems: string[] = [];
    const restocked = new Map<string, number>();
    for (const e of events) if (e.type === 'StockAdjusted') restocked.set((e.data as { sku: string }).sku, (restocked.get((e.data as { sku: string }).sku) ?? 0) + (e.data as { quantity: number }).quantity);
    const held = new Map<string, number>();
    for (const o of orders) if (outcome.get(o.orderId) === 'COMPLETED') for (const i of o.items) held.set(i.sku, (held.get(i.sku) ?? 0) + i.quantity);
    for (const doc of await db.collection<{ _id: string; available: number; reserved: number }>('inventory').find().toArray()) {
      const total = restocked.get(doc._id) ?? 0;
      if (doc.available + doc.reserved !== total) problems.push(`${doc._id}: ${doc.available} + ${doc.reserved} != ${total}`);
      if (doc.reserved !== (held.get(doc._id) ?? 0)) problems.push(`${doc._id}: reserved ${doc.reserved}, completed orders hold ${held.get(doc._id) ?? 0}`);
      if (doc.available < 0) problems.push(`${doc._id}: negative stock`);
    }
    record('stock conserved', problems, `available + reserved = restocked for every SKU; reserved = units of completed orders`);
  }

  // 5. Read models equal a fresh rebuild from the log.
  {
    const problems: string[] = [];
    const deps = { db, store, faults: createFaults(db), log: createLogger('drill-verify', 'silent') };
    for (const p of projections) {
      const result = await compareWithRebuild(p, deps);
      if (!result.equal) problems.push(`${p.name} differs from a rebuild (${result.liveDocuments} vs ${result.rebuiltDocuments} documents)`);
    }
    record('read models equal a rebuild', problems, `${projections.length} projections rebuilt from position 0 and compared`);
  }

  // 6. Notifications exactly once.
  {
    const problems: string[] = [];
    const emails = await db.collection<{ orderId: string; kind: string }>('emails').find().toArray();
    for (const o of orders) {
      const mine = emails.filter((e) => e.orderId === o.orderId).map((e) => e.kind).sort();
      const expected = outcome.get(o.orderId) === 'COMPLETED' ? ['order-confirmed', 'order-received'] : ['order-cancelled', 'order-received'];
      if (mine.join() !== expected.join()) problems.push(`order ${o.orderId}: sent [${mine}]`);
    }
    figures.emails = emails.length;
    record('notifications exactly once', problems, `${emails.length} emails: one received and one confirmed/cancelled notice per order`);
  }

  // 7. Dead letters only where a fault made them.
  {
    const problems: string[] = [];
    const letters = await db.collection<{ _id: string; error: string; source: string; status: string }>('dead_letters').find().toArray();
    for (const d of letters) {
      const explained = /fault injected|ECONNREFUSED|connect|Server selection|topology|unavailable|timed out|timeout/i.test(d.error);
      if (!explained) problems.push(`${d._id}: ${d.error}`);
    }
    figures.deadLetters = letters.length;
    record('dead letters only from faults', problems, `${letters.length} dead letters${letters.length ? ' (each from an injected fault)' : ''}; faults injected: ${faultsInjected.length}`);
  }

  return { checks, violations, figures };
}
