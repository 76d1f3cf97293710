import { useState } from 'preact/hooks';
import { ApiError, idempotencyKey, post, seg } from '../api';
import type { Waiting } from '../types';
import { Answer, Section, when } from './feedback';

type Address = { line1: string; city: string; postalCode: string; country: string };
type RepairBody =
  { action: 'retry' } | { action: 'correct'; shippingAddress: Address } | { action: 'compensate'; reason: string };

const FIELDS: Array<{ name: keyof Address; label: string; autocomplete: string }> = [
  { name: 'line1', label: 'Street and number', autocomplete: 'address-line1' },
  { name: 'city', label: 'City', autocomplete: 'address-level2' },
  { name: 'postalCode', label: 'Postal code', autocomplete: 'postal-code' },
  { name: 'country', label: 'Country (two letters, e.g. US)', autocomplete: 'country' },
];

/**
 * An order waiting in NEEDS_ATTENTION, in its saga or, once the saga ended without an outcome, in
 * the settlement that holds it (SETTLE_POLICY=hold): which step it waits at and why, until when it
 * waits, and the three repairs (POST /orders/:orderId/repair, which reaches either): retry, correct
 * the address and retry, or give up and compensate. Each click sends its own Idempotency-Key. Once
 * a repair was asked the section stays with the API's answer, and a second repair shows the API's
 * refusal (409) as it is.
 */
export function RepairPanel(props: {
  orderId: string;
  waiting: Waiting | null;
  /** The address the correction starts from. */
  address: Address | null | undefined;
  /** Who waits: the saga, or the settlement of an order whose saga ended. */
  holder?: 'saga' | 'settlement';
  /** Its heading and the names of its forms, unique on a page that shows several orders. */
  title?: string;
  of?: string;
  onDone: () => void;
}) {
  const waiting = props.waiting;
  const holder = props.holder ?? 'saga';
  const of = props.of ? ` of ${props.of}` : '';
  const [answer, setAnswer] = useState<{ ok: boolean; title: string; body: unknown } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [reason, setReason] = useState('');
  const current = props.address;
  const [address, setAddress] = useState<Address | undefined>(undefined);
  const shown: Address = address ?? {
    line1: current?.line1 ?? '',
    city: current?.city ?? '',
    postalCode: current?.postalCode ?? '',
    country: current?.country ?? '',
  };
  if (!waiting && !answer) return null;

  const repair = async (body: RepairBody) => {
    setBusy(true);
    try {
      // One key per click: should the request reach the API more than once, it repairs once.
      const result = await post(`/orders/${seg(props.orderId)}/repair`, body, idempotencyKey());
      setAnswer({ ok: true, title: `${body.action}: accepted by the API`, body: result });
    } catch (err) {
      setAnswer({
        ok: false,
        title:
          err instanceof ApiError
            ? `${body.action} refused (HTTP ${err.status}): ${err.message}`
            : `${body.action} failed: ${String(err)}`,
        body: err instanceof ApiError ? err.body : undefined,
      });
    } finally {
      setBusy(false);
      props.onDone();
    }
  };

  return (
    <Section title={props.title ?? 'Needs attention'}>
      {waiting ? (
        <div class="attention" role="alert">
          {holder === 'saga' ? (
            <p>
              <strong>{waiting.step}</strong> failed for a reason an operator can fix: {waiting.reason}
            </p>
          ) : (
            <p>
              Held at <strong>{waiting.step}</strong>: {waiting.reason}
            </p>
          )}
          <p>
            Waiting since {when(waiting.since)} for a repair; if none comes by {when(waiting.until)} the {holder}{' '}
            compensates by itself. The customer may still cancel.
          </p>
        </div>
      ) : (
        <p class="hint">This {holder} is not waiting for a repair now: the API refuses another one and says why.</p>
      )}
      <div class="actions">
        <button type="button" disabled={busy} onClick={() => void repair({ action: 'retry' })}>
          Retry {waiting?.step ?? 'the step'}
        </button>
      </div>
      <form
        aria-label={`Correct the shipping address${of} and retry`}
        onSubmit={(e) => {
          e.preventDefault();
          void repair({ action: 'correct', shippingAddress: shown });
        }}
      >
        <fieldset>
          <legend>Correct the shipping address, then retry</legend>
          <div class="actions">
            {FIELDS.map((f) => (
              <label key={f.name}>
                {f.label}
                <input
                  name={f.name}
                  required
                  autocomplete={f.autocomplete}
                  value={shown[f.name]}
                  onInput={(e) => setAddress({ ...shown, [f.name]: e.currentTarget.value })}
                />
              </label>
            ))}
            <button type="submit" disabled={busy}>
              Correct and retry
            </button>
          </div>
        </fieldset>
      </form>
      <form
        aria-label={`Give up and compensate${of}`}
        onSubmit={(e) => {
          e.preventDefault();
          void repair({ action: 'compensate', reason: reason.trim() });
        }}
      >
        <div class="actions">
          <label>
            Reason to compensate
            <input required maxLength={500} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          </label>
          <button type="submit" class="danger" disabled={busy || !reason.trim()}>
            Compensate (undo the order)
          </button>
        </div>
      </form>
      <Answer answer={answer} />
    </Section>
  );
}
