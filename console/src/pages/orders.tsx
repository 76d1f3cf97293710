import { useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { ORDER_STATUSES } from '../../../domain/orders/status';
import { get } from '../api';
import { ErrorMessage, LiveBadge, Loading, money, when } from '../components/feedback';
import { useLive, useResource, useThrottled } from '../hooks';
import type { OrderView } from '../types';

interface Filters {
  status: string;
  customerId: string;
  /** The pseudonym events and read models hold (what an erased customer is still known by). */
  customer: string;
  from: string;
  to: string;
}

const EMPTY: Filters = { status: '', customerId: '', customer: '', from: '', to: '' };
/** A datetime-local value (local time, no zone) as the instant the API expects. */
const instant = (local: string) => (local ? new Date(local).toISOString() : undefined);

/** The orders list, filtered by status, customer and time; newest first, a page at a time. */
export function OrdersPage() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const orders = useResource(
    () =>
      get<{ orders: OrderView[]; nextCursor: string | null }>('/orders', {
        status: filters.status,
        customerId: filters.customerId,
        customer: filters.customer,
        from: instant(filters.from),
        to: instant(filters.to),
        cursor,
        limit: 25,
      }),
    [filters, cursor],
  );
  const reload = useThrottled(orders.reload, 500);
  // The list is the orders read model: it changes when the read side moves, which its frames say.
  const live = useLive(['read-side'], (event) => event.type === 'read-side' && reload());
  const set = (name: keyof Filters) => (e: Event) =>
    setDraft({ ...draft, [name]: (e.currentTarget as HTMLInputElement).value });
  const apply = (e: Event) => {
    e.preventDefault();
    setCursors([]);
    setFilters(draft);
  };

  return (
    <>
      <h1>
        Orders <LiveBadge status={live} />
      </h1>
      <form class="filters" onSubmit={apply} aria-label="Filter orders">
        <label>
          Status
          <select value={draft.status} onChange={set('status')}>
            <option value="">any</option>
            {ORDER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Customer id
          <input value={draft.customerId} onInput={set('customerId')} placeholder="e.g. ada" />
        </label>
        <label>
          Customer pseudonym
          <input value={draft.customer} onInput={set('customer')} />
        </label>
        <label>
          From
          <input type="datetime-local" value={draft.from} onInput={set('from')} />
        </label>
        <label>
          To
          <input type="datetime-local" value={draft.to} onInput={set('to')} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <OpenOrder />
      {orders.error !== undefined && <ErrorMessage error={orders.error} />}
      {orders.data === undefined && orders.error === undefined && <Loading what="orders" />}
      {orders.data && (
        <>
          <table>
            <caption>{orders.data.orders.length === 0 ? 'No orders match' : 'Orders, newest first'}</caption>
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Status</th>
                <th scope="col">Customer</th>
                <th scope="col">Total</th>
                <th scope="col">Placed</th>
              </tr>
            </thead>
            <tbody>
              {orders.data.orders.map((order) => (
                <tr key={order.orderId}>
                  <td>
                    <Link href={`/orders/${order.orderId}`}>{order.orderId}</Link>
                  </td>
                  <td>
                    <span class={`status status-${order.status}`}>{order.status}</span>
                  </td>
                  <td>{order.customerId}</td>
                  <td>{money(order.total)}</td>
                  <td>{when(order.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="pager">
            <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
              Previous page
            </button>
            <button
              type="button"
              disabled={!orders.data.nextCursor}
              onClick={() => orders.data?.nextCursor && setCursors([...cursors, orders.data.nextCursor])}
            >
              Next page
            </button>
          </div>
        </>
      )}
    </>
  );
}

/** Goes straight to an order by its id. */
function OpenOrder() {
  const [id, setId] = useState('');
  return (
    <form
      class="inline"
      aria-label="Open an order"
      onSubmit={(e) => {
        e.preventDefault();
        if (id.trim()) location.hash = `#/orders/${encodeURIComponent(id.trim())}`;
      }}
    >
      <label>
        Order id
        <input value={id} onInput={(e) => setId(e.currentTarget.value)} />
      </label>
      <button type="submit">Open order</button>
    </form>
  );
}
