import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { ApiError, get, post, seg } from '../api';
import { Answer, ErrorMessage, Json, LiveBadge, Loading, money, Section, when } from '../components/feedback';
import { DeadLetterTable } from '../components/dead-letters';
import { RepairPanel } from '../components/repair';
import { useLive, useResource, useThrottled } from '../hooks';
import type { LiveEvent } from '../live';
import type { DeadLetter, OrderView, RecordedEvent, SagaState, Settlement, Waiting } from '../types';

const TEMPORAL_UI_STORAGE = 'operator-console.temporal-ui';
const temporalUi = () => localStorage.getItem(TEMPORAL_UI_STORAGE) ?? 'http://localhost:8233';

/** Whether a live frame is about this order (one whose data is not an object counts: reload to be safe). */
function concerns(event: LiveEvent, orderId: string): boolean {
  if (event.type !== 'event' && event.type !== 'dead-letters') return false;
  return typeof event.data !== 'object' || event.data === null || JSON.stringify(event.data).includes(orderId);
}

/** What a settlement holding the order waits for, until an operator's repair was recorded. */
const heldBy = (held: Settlement | undefined): Waiting | null =>
  held?.state === 'held' && !held.repair ? (held.needsAttention ?? null) : null;

/** One order's story: the read model, the saga's live state, its events, compensations and dead letters. */
export function OrderPage(props: { orderId: string }) {
  const id = props.orderId;
  const order = useResource(() => get<OrderView>(`/orders/${seg(id)}`), [id]);
  const saga = useResource(() => get<SagaState>(`/orders/${seg(id)}/saga`), [id]);
  const events = useResource(() => get<{ events: RecordedEvent[] }>(`/orders/${seg(id)}/events`), [id]);
  const letters = useResource(
    () => get<{ deadLetters: DeadLetter[] }>('/dead-letters', { orderId: id, limit: 100 }),
    [id],
  );
  // Once its saga ended without an outcome, a settlement may hold the order (SETTLE_POLICY=hold):
  // its repairs are offered here as on the Unsettled page. A key that may not list settlements
  // (not an operator's) just sees no such panel.
  const settlement = useResource(
    () => get<{ orders: Settlement[] }>('/orders/unsettled', { state: 'held', orderId: id, limit: 1 }),
    [id],
  );
  const reloadReadModel = useThrottled(order.reload, 500);
  const reloadAll = useThrottled(() => {
    order.reload();
    saga.reload();
    events.reload();
    letters.reload();
    settlement.reload();
  }, 500);
  // The order's own events and letters reload everything; the read side moving (its frames) may
  // mean the read model caught up with them.
  const live = useLive(['orders', 'read-side', 'dead-letters'], (event) => {
    if (event.type === 'read-side') reloadReadModel();
    else if (concerns(event, id)) reloadAll();
  });

  const sagaWaits = saga.data?.needsAttention ?? null;
  const settlementWaits = heldBy(settlement.data?.orders[0]);
  // Who the repair went to stays known once the settlement stops waiting (its answer names it).
  const [settlementHeld, setSettlementHeld] = useState(false);
  useEffect(() => {
    if (settlementWaits) setSettlementHeld(true);
  }, [settlementWaits]);

  const unknown =
    order.error instanceof ApiError &&
    order.error.status === 404 &&
    saga.error instanceof ApiError &&
    saga.error.status === 404;
  if (unknown)
    return (
      <>
        <h1>Order {id}</h1>
        <p class="message error" role="alert">
          There is no order {id}, or this API key may not see it. Check the id, or go back to the{' '}
          <Link href="/orders">orders list</Link>.
        </p>
      </>
    );

  return (
    <>
      <h1>
        Order <span class="id">{id}</span> <LiveBadge status={live} />
      </h1>
      <Section title="Summary">
        {order.error !== undefined && <ErrorMessage error={order.error} what={`Order ${id} in the read model`} />}
        {order.data === undefined && order.error === undefined && <Loading what="the order" />}
        {order.data && <Summary order={order.data} />}
      </Section>
      <RepairPanel
        orderId={id}
        waiting={sagaWaits ?? settlementWaits}
        address={order.data?.shippingAddress}
        holder={!sagaWaits && (settlementWaits || settlementHeld) ? 'settlement' : 'saga'}
        onDone={reloadAll}
      />
      <Actions orderId={id} saga={saga.data} onDone={reloadAll} />
      <Section title="Saga (live state)">
        {saga.error !== undefined && <ErrorMessage error={saga.error} what={`The saga of order ${id}`} />}
        {saga.data && <SagaPanel saga={saga.data} />}
        <p>
          <a
            href={`${temporalUi()}/namespaces/default/workflows/order-${encodeURIComponent(id)}`}
            target="_blank"
            rel="noreferrer"
          >
            Open the saga order-{id} in Temporal's Web UI
          </a>
        </p>
      </Section>
      <Section title="Compensations">
        <Compensations saga={saga.data} order={order.data} />
      </Section>
      <Section title="Timeline of its events">
        {events.error !== undefined && <ErrorMessage error={events.error} what={`The events of order ${id}`} />}
        {events.data && <Timeline events={events.data.events} />}
      </Section>
      <Section title="Dead letters">
        {letters.error !== undefined && <ErrorMessage error={letters.error} />}
        {letters.data && <DeadLetterTable letters={letters.data.deadLetters} onChanged={reloadAll} />}
      </Section>
    </>
  );
}

function Summary(props: { order: OrderView }) {
  const o = props.order;
  return (
    <dl class="facts">
      <dt>Status</dt>
      <dd>
        <span class={`status status-${o.status}`}>{o.status}</span>
      </dd>
      <dt>Customer</dt>
      <dd>
        <Link href={`/customers/${encodeURIComponent(o.customerId)}`}>{o.customerId}</Link>
      </dd>
      <dt>Account</dt>
      <dd>
        <Link href={`/accounts/${o.accountId}`}>{o.accountId}</Link>
      </dd>
      <dt>Total</dt>
      <dd>{money(o.total)}</dd>
      <dt>Items</dt>
      <dd>{o.items.map((i) => `${i.quantity}× ${i.sku}`).join(', ')}</dd>
      <dt>Ships to</dt>
      <dd>
        {o.shippingAddress
          ? `${o.shippingAddress.line1}, ${o.shippingAddress.postalCode} ${o.shippingAddress.city}, ${o.shippingAddress.country}`
          : '—'}
      </dd>
      <dt>Placed</dt>
      <dd>{when(o.createdAt)}</dd>
      {o.failureReason && (
        <>
          <dt>Why it stopped</dt>
          <dd>{o.failureReason}</dd>
        </>
      )}
    </dl>
  );
}

function SagaPanel(props: { saga: SagaState }) {
  const s = props.saga;
  return (
    <dl class="facts">
      <dt>Status</dt>
      <dd>
        <span class={`status status-${s.status}`}>{s.status}</span>
        {s.awaitingApproval && ' (awaiting approval)'}
      </dd>
      <dt>Steps done</dt>
      <dd>{s.stepsDone.join(' → ') || 'none yet'}</dd>
      {s.needsAttention && (
        <>
          <dt>Needs attention</dt>
          <dd>
            {s.needsAttention.step}: {s.needsAttention.reason}
          </dd>
        </>
      )}
      {s.waitingOnBreaker && (
        <>
          <dt>Waiting on a breaker</dt>
          <dd>
            {s.waitingOnBreaker.step} waits for the {s.waitingOnBreaker.service} breaker to close (since{' '}
            {when(s.waitingOnBreaker.since)}): <Link href="/breakers">see the breakers</Link>
          </dd>
        </>
      )}
      {s.failureReason && (
        <>
          <dt>Failure</dt>
          <dd>{s.failureReason}</dd>
        </>
      )}
    </dl>
  );
}

function Compensations(props: { saga: SagaState | undefined; order: OrderView | undefined }) {
  const done = props.saga?.compensationsDone ?? [];
  const failed = props.saga?.compensationsFailed ?? props.order?.openCompensations ?? [];
  if (done.length === 0 && failed.length === 0) return <p>No compensation has run.</p>;
  return (
    <ul class="compensations">
      {done.map((c) => (
        <li key={`done-${c}`}>
          <span class="ok-mark">undone</span> {c}
        </li>
      ))}
      {failed.map((c) => (
        <li key={`failed-${c}`}>
          <span class="bad-mark">could not be undone (dead letter)</span> {c}
        </li>
      ))}
    </ul>
  );
}

function Timeline(props: { events: RecordedEvent[] }) {
  if (props.events.length === 0) return <p>No events recorded yet.</p>;
  return (
    <ol class="timeline">
      {props.events.map((e, i) => (
        <li key={`${e.streamId}-${e.version}-${i}`}>
          <time>{when(e.metadata?.timestamp)}</time> <strong>{e.type}</strong>{' '}
          <Link href={`/streams/${encodeURIComponent(e.streamId)}`}>
            {e.streamId}
            {e.version !== undefined && ` v${e.version}`}
          </Link>
          {/* A link inside a summary would be a control inside a control: the data opens on its own. */}
          <details>
            <summary>data</summary>
            <Json value={e.data} />
          </details>
        </li>
      ))}
    </ol>
  );
}

type ActionAnswer = { ok: boolean; title: string; body: unknown };

/** Cancel, approve and reject through the API's routes, showing exactly what the API answered. */
function Actions(props: { orderId: string; saga: SagaState | undefined; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const [answer, setAnswer] = useState<ActionAnswer | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const act = async (action: 'cancel' | 'approve' | 'reject') => {
    setBusy(true);
    try {
      const body = action === 'approve' || !reason.trim() ? {} : { reason: reason.trim() };
      const result = await post(`/orders/${seg(props.orderId)}/${action}`, body);
      setAnswer({ ok: true, title: `${action}: accepted by the API`, body: result });
    } catch (err) {
      setAnswer({
        ok: false,
        title:
          err instanceof ApiError
            ? `${action} refused (HTTP ${err.status}): ${err.message}`
            : `${action} failed: ${String(err)}`,
        body: err instanceof ApiError ? err.body : undefined,
      });
    } finally {
      setBusy(false);
      props.onDone();
    }
  };
  return (
    <Section title="Actions">
      <div class="actions">
        <label>
          Reason (cancel and reject)
          <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} maxLength={500} />
        </label>
        <button type="button" disabled={busy} onClick={() => void act('cancel')}>
          Cancel order
        </button>
        <button type="button" disabled={busy} onClick={() => void act('approve')}>
          Approve
        </button>
        <button type="button" disabled={busy} onClick={() => void act('reject')}>
          Reject
        </button>
      </div>
      <Answer answer={answer} />
      <p class="hint">
        Approve and reject apply to an order awaiting approval
        {props.saga ? (props.saga.awaitingApproval ? ' (this one is)' : ' (this one is not)') : ''}; a cancel is refused
        past the point of no return. Each button calls the API's own route and shows its answer.
      </p>
    </Section>
  );
}
