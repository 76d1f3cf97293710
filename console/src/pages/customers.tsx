import { useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { ERASED, PERSONAL_FIELDS } from '../../../domain/personal-data';
import { ApiError, del, get, seg } from '../api';
import { Answer, ErrorMessage, Loading, money, Section } from '../components/feedback';
import { useResource } from '../hooks';
import type { OrderView } from '../types';

interface Sagas {
  customerId: string;
  pseudonym: string | null;
  query: string | null;
  sagas: Array<{ workflowId: string; status: string; startTime?: string }>;
}

export function CustomersPage(props: { customerId?: string }) {
  const [typed, setTyped] = useState(props.customerId ?? '');
  return (
    <>
      <h1>Customers</h1>
      <form
        class="inline"
        aria-label="Find a customer's sagas"
        onSubmit={(e) => {
          e.preventDefault();
          if (typed.trim()) location.hash = `#/customers/${encodeURIComponent(typed.trim())}`;
        }}
      >
        <label>
          Customer id
          <input value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
        </label>
        <button type="submit">Find sagas</button>
      </form>
      <p class="hint">
        Temporal holds no customer id: the server turns the id into the customer's pseudonym and searches by it.
      </p>
      {props.customerId && <Customer key={props.customerId} customerId={props.customerId} />}
    </>
  );
}

function Customer(props: { customerId: string }) {
  const id = props.customerId;
  const sagas = useResource(() => get<Sagas>(`/customers/${seg(id)}/sagas`), [id]);
  const orders = useResource(() => get<{ orders: OrderView[] }>(`/customers/${seg(id)}/orders`), [id]);
  return (
    <>
      <Section title={`Sagas of ${id}`} id="customer-sagas">
        {sagas.error !== undefined && <ErrorMessage error={sagas.error} what={`Customer ${id}`} />}
        {sagas.data === undefined && sagas.error === undefined && <Loading what="sagas" />}
        {sagas.data && (
          <>
            <p>
              Pseudonym: <code>{sagas.data.pseudonym ?? 'none (no data key: unknown or erased)'}</code>
            </p>
            {sagas.data.sagas.length === 0 ? (
              <p>No sagas found.</p>
            ) : (
              <ul>
                {sagas.data.sagas.map((s) => (
                  <li key={s.workflowId}>
                    <Link href={`/orders/${s.workflowId.replace(/^order-/, '')}`}>{s.workflowId}</Link> · workflow{' '}
                    {s.status.toLowerCase()}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </Section>
      <Section title={`Orders of ${id}`} id="customer-orders">
        {orders.error !== undefined && <ErrorMessage error={orders.error} what={`Orders of ${id}`} />}
        {orders.data && (
          <ul>
            {orders.data.orders.map((o) => (
              <li key={o.orderId}>
                <Link href={`/orders/${o.orderId}`}>{o.orderId}</Link> · {o.status} · {money(o.total)} · ships to{' '}
                {o.shippingAddress ? `${o.shippingAddress.line1}, ${o.shippingAddress.city}` : '—'}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Erase
        customerId={id}
        onErased={() => {
          sagas.reload();
          orders.reload();
        }}
      />
    </>
  );
}

/** The personal fields, by event, in words: what an erasure makes unreadable. */
const personalFields = Object.entries(PERSONAL_FIELDS).map(([event, fields]) => `${event}: ${fields.join(', ')}`);

/**
 * Erasure destroys the customer's data key (crypto-shredding). It cannot be undone, so the page
 * says exactly what becomes unreadable and asks for the customer id to be typed again.
 */
function Erase(props: { customerId: string; onErased: () => void }) {
  const [open, setOpen] = useState(false);
  const [confirmation, setConfirmation] = useState('');
  const [answer, setAnswer] = useState<{ ok: boolean; title: string; body: unknown } | undefined>(undefined);
  const erase = async () => {
    try {
      const body = await del(`/customers/${seg(props.customerId)}/personal-data`);
      setAnswer({ ok: true, title: `Personal data of ${props.customerId} erased`, body });
      setOpen(false);
      props.onErased();
    } catch (err) {
      setAnswer({
        ok: false,
        title: `Erasure refused${err instanceof ApiError ? ` (HTTP ${err.status}): ${err.message}` : `: ${String(err)}`}`,
        body: err instanceof ApiError ? err.body : undefined,
      });
    }
  };
  return (
    <Section title="Erase personal data" id="erase">
      {!open ? (
        <button type="button" class="danger" onClick={() => setOpen(true)}>
          Erase personal data of {props.customerId}…
        </button>
      ) : (
        <div class="confirm" role="group" aria-labelledby="erase-warning">
          <p id="erase-warning">
            <strong>This cannot be undone.</strong> It destroys the data key of customer <code>{props.customerId}</code>
            . From then on, everywhere the platform keeps them (events, saga histories in Temporal, dead letters, read
            models, emails), these fields read as <code>{ERASED}</code>:
          </p>
          <ul>
            {personalFields.map((line) => (
              <li key={line}>{line}</li>
            ))}
            <li>free-text reasons that quote any of them</li>
          </ul>
          <p>
            Amounts, SKUs, quantities, statuses, the country and the pseudonym stay readable, and this customer's sagas
            can no longer be found by the customer id.
          </p>
          <label>
            Type the customer id to confirm
            <input value={confirmation} onInput={(e) => setConfirmation(e.currentTarget.value)} />
          </label>{' '}
          <button
            type="button"
            class="danger"
            disabled={confirmation !== props.customerId}
            onClick={() => void erase()}
          >
            Erase now
          </button>{' '}
          <button type="button" onClick={() => setOpen(false)}>
            Keep the data
          </button>
        </div>
      )}
      <Answer answer={answer} />
    </Section>
  );
}
