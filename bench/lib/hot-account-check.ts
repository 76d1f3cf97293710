/**
 * What must hold after the hot-account scenario, whatever the timing: every order completed (the
 * accounts are funded for all of them), each account's balance is its deposits minus its debits
 * plus its refunds, and each completed order took its total exactly once and got nothing back.
 * Pure, so the bench can fail loudly on a broken run and a unit test can try to break it.
 */
export interface PaidOrder {
  orderId: string;
  accountId: string;
  total: number;
  status: string;
  failureReason: string | null;
}

/** An account's events as the audit trail gives them (type and data only). */
export interface AccountAfter {
  accountId: string;
  balance: number;
  events: Array<{ type: string; data: Record<string, unknown> }>;
}

const amountOf = (e: { data: Record<string, unknown> }) => Number(e.data.amount ?? e.data.initial ?? 0);

/** Every broken promise, one line each; empty when the run is sound. */
export function accountProblems(orders: PaidOrder[], accounts: AccountAfter[]): string[] {
  const problems: string[] = [];
  for (const o of orders)
    if (o.status !== 'COMPLETED')
      problems.push(`order ${o.orderId} ended ${o.status}${o.failureReason ? ` (${o.failureReason})` : ''}`);
  const byId = new Map(accounts.map((a) => [a.accountId, a]));
  for (const a of accounts) {
    let deposits = 0;
    let debits = 0;
    let refunds = 0;
    for (const e of a.events) {
      if (e.type === 'AccountOpened') deposits += amountOf(e);
      else if (e.type === 'Deposited' && e.data.reason === 'refund') refunds += amountOf(e);
      else if (e.type === 'Deposited') deposits += amountOf(e);
      else if (e.type === 'Withdrawn') debits += amountOf(e);
    }
    if (a.balance !== deposits - debits + refunds)
      problems.push(
        `account ${a.accountId}: balance ${a.balance}, deposits ${deposits} - debits ${debits} + refunds ${refunds} = ${deposits - debits + refunds}`,
      );
  }
  for (const o of orders) {
    const account = byId.get(o.accountId);
    if (!account) {
      problems.push(`order ${o.orderId}: no account read for ${o.accountId}`);
      continue;
    }
    const mine = account.events.filter((e) => e.data.reference === o.orderId);
    const taken = mine.filter((e) => e.type === 'Withdrawn').map(amountOf);
    const given = mine.filter((e) => e.type === 'Deposited' && e.data.reason === 'refund').map(amountOf);
    if (o.status !== 'COMPLETED') continue;
    if (taken.length !== 1 || taken[0] !== o.total)
      problems.push(`order ${o.orderId}: debited [${taken.join(', ')}], its total is ${o.total}`);
    if (given.length > 0) problems.push(`order ${o.orderId} completed, yet ${given.join(' + ')} was refunded`);
  }
  return problems;
}

/** The hot-account goal: completed orders' p99 from one account at most this many times the 64-account run's. */
export const HOT_ACCOUNT_P99_GOAL = 3;

export function hotAccountVerdict(hotP99: number, spreadP99: number): { ratio: number; met: boolean | null } {
  const ratio = spreadP99 > 0 && Number.isFinite(hotP99) ? Math.round((hotP99 / spreadP99) * 1000) / 1000 : NaN;
  return { ratio, met: Number.isFinite(ratio) ? ratio <= HOT_ACCOUNT_P99_GOAL : null };
}
