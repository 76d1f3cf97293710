import { useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { get } from '../api';
import { ErrorMessage, LiveBadge, Loading, when } from '../components/feedback';
import { RepairPanel } from '../components/repair';
import { useLive, useResource, useThrottled } from '../hooks';
import type { Settlement } from '../types';

const STATES = [
  { value: 'open', label: 'open (unsettled or settling)' },
  { value: 'unsettled', label: 'unsettled' },
  { value: 'settling', label: 'settling' },
  { value: 'held', label: 'held (waiting for a repair)' },
  { value: 'settled', label: 'settled' },
] as const;

/**
 * Orders whose saga ended without an outcome (terminated, timed out, failed), as the worker's sweep
 * found them, and how each was settled (the settle-<orderId> workflow, by SETTLE_POLICY). A held
 * order (SETTLE_POLICY=hold) shows where and until when it waits, with the repairs an operator may
 * send its settlement. A settlement moves the order's own streams, so the order events of the live
 * feed say when to look again.
 */
export function UnsettledPage() {
  const [state, setState] = useState<(typeof STATES)[number]['value']>('open');
  const list = useResource(() => get<{ orders: Settlement[] }>('/orders/unsettled', { state, limit: 200 }), [state]);
  const reload = useThrottled(list.reload, 1_000);
  const live = useLive(['orders'], (event) => {
    const streamId = (event.data as { streamId?: unknown } | null)?.streamId;
    if (event.type === 'event' && typeof streamId === 'string' && !streamId.startsWith('breaker-')) reload();
  });
  const orders = list.data?.orders ?? [];
  // A repaired order leaves the held ones (and an open list, once settled); its panel stays with the API's answer.
  const [repaired, setRepaired] = useState<readonly string[]>([]);
  const held = orders.filter((o) => o.state === 'held').map((o) => o.orderId);
  const panels = [...held, ...repaired.filter((id) => !held.includes(id))];
  const waitingOf = (orderId: string) => {
    const o = orders.find((x) => x.orderId === orderId);
    return o?.state === 'held' && !o.repair ? (o.needsAttention ?? null) : null;
  };
  return (
    <>
      <h1>
        Unsettled orders <LiveBadge status={live} />
      </h1>
      <p class="hint">
        A saga that ends without an outcome runs no code of its own: the worker's sweep finds its order, and the
        settle-&lt;orderId&gt; workflow undoes what its services recorded (policy compensate), only lists it (policy
        report), or holds it in NEEDS_ATTENTION for a repair (policy hold).
      </p>
      <form class="filters" aria-label="Filter unsettled orders" onSubmit={(e) => e.preventDefault()}>
        <label>
          Settlement state
          <select value={state} onChange={(e) => setState(e.currentTarget.value as (typeof STATES)[number]['value'])}>
            {STATES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={list.reload}>
          Look again
        </button>
      </form>
      {list.error !== undefined && <ErrorMessage error={list.error} />}
      {list.data === undefined && list.error === undefined && <Loading what="unsettled orders" />}
      {list.data && (
        <table>
          <caption>
            {orders.length === 0 ? 'No order in this state' : 'Orders without a saga outcome, newest found first'}
          </caption>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">How its saga ended</th>
              <th scope="col">Status when found</th>
              <th scope="col">Found</th>
              <th scope="col">Settlement</th>
              <th scope="col">Policy</th>
              <th scope="col">Waits (held)</th>
              <th scope="col">Repair</th>
              <th scope="col">Outcome</th>
              <th scope="col">Status now</th>
              <th scope="col">Undone</th>
              <th scope="col">Could not be undone</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((o) => (
              <tr key={o.orderId}>
                <td>
                  <Link href={`/orders/${encodeURIComponent(o.orderId)}`}>{o.orderId}</Link>
                </td>
                <td>{o.close}</td>
                <td>{o.foundStatus ?? 'not recorded'}</td>
                <td>{when(o.detectedAt)}</td>
                <td>
                  <span class={`state settlement-${o.state}`}>{o.state}</span>
                  {o.settledAt ? ` ${when(o.settledAt)}` : ''}
                </td>
                <td>{o.policy}</td>
                <td>
                  {o.needsAttention
                    ? `at ${o.needsAttention.step} until ${when(o.needsAttention.until)}: ${o.needsAttention.reason}`
                    : '—'}
                </td>
                <td>{o.repair?.action ?? (o.holdEnded ? `none (${o.holdEnded})` : '—')}</td>
                <td>{o.outcome ?? '—'}</td>
                <td>{o.status ? <span class={`status status-${o.status}`}>{o.status}</span> : '—'}</td>
                <td>{o.compensationsDone?.join(', ') || '—'}</td>
                <td>{[...(o.compensationsFailed ?? []), ...(o.openDeadLetters ?? [])].join(', ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {panels.map((orderId) => (
        <RepairPanel
          key={orderId}
          orderId={orderId}
          waiting={waitingOf(orderId)}
          address={undefined}
          holder="settlement"
          title={`Held order ${orderId}`}
          of={`order ${orderId}`}
          onDone={() => {
            setRepaired((ids) => (ids.includes(orderId) ? ids : [...ids, orderId]));
            list.reload();
          }}
        />
      ))}
    </>
  );
}
