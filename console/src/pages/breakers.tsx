import { useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { ApiError, call, get, seg } from '../api';
import { Answer, ErrorMessage, LiveBadge, Loading, Section, when } from '../components/feedback';
import { useLive, useResource, useThrottled } from '../hooks';
import type { BreakerRow, RecordedEvent } from '../types';

/** Transitions shown per breaker: the most recent ones of its stream. */
const RECENT = 10;

const streamOf = (service: string) => `breaker-${service}`;

/**
 * The circuit breakers of the external services: each one's state, its recent transitions (its
 * stream `breaker-<service>`), and an operator's hand on it. Every transition is an event of the
 * log, which the live feed's `orders` topic carries (a breaker's stream belongs to no client), so
 * the page follows a breaker that opens or closes by itself without asking again and again.
 */
export function BreakersPage() {
  const breakers = useResource(() => get<{ breakers: BreakerRow[] }>('/breakers'), []);
  const reload = useThrottled(breakers.reload, 250);
  const live = useLive(['orders'], (event) => {
    const streamId = (event.data as { streamId?: unknown } | null)?.streamId;
    if (event.type === 'event' && typeof streamId === 'string' && streamId.startsWith('breaker-')) reload();
  });
  const rows = breakers.data?.breakers ?? [];
  return (
    <>
      <h1>
        Breakers <LiveBadge status={live} />
      </h1>
      <p class="hint">
        An open breaker fails its service's calls fast, and the sagas that need the service wait for it to close. One
        opened by hand stays open until a hand closes it; each change is recorded with the key that made it.
      </p>
      {breakers.error !== undefined && <ErrorMessage error={breakers.error} />}
      {breakers.data === undefined && breakers.error === undefined && <Loading what="breakers" />}
      {breakers.data && <BreakerTable rows={rows} onChanged={breakers.reload} />}
      {rows.map((b) => (
        <Transitions key={b.service} breaker={b} />
      ))}
    </>
  );
}

function BreakerTable(props: { rows: BreakerRow[]; onChanged: () => void }) {
  const [confirming, setConfirming] = useState<{ service: string; state: 'open' | 'closed' } | undefined>();
  const [reason, setReason] = useState('');
  const [answer, setAnswer] = useState<{ ok: boolean; title: string; body: unknown } | undefined>(undefined);
  const verb = (state: 'open' | 'closed') => (state === 'open' ? 'open' : 'close');
  const apply = async (event: Event) => {
    event.preventDefault();
    if (!confirming || !reason.trim()) return;
    const { service, state } = confirming;
    try {
      const body = await call('PUT', `/breakers/${seg(service)}`, { body: { state, reason: reason.trim() } });
      setAnswer({ ok: true, title: `${verb(state)} ${service}: accepted by the API`, body });
      setConfirming(undefined);
      setReason('');
    } catch (err) {
      setAnswer({
        ok: false,
        title:
          err instanceof ApiError
            ? `${verb(state)} ${service} refused (HTTP ${err.status}): ${err.message}`
            : `${verb(state)} ${service} failed: ${String(err)}`,
        body: err instanceof ApiError ? err.body : undefined,
      });
    }
    props.onChanged();
  };
  return (
    <>
      <table>
        <caption>Circuit breakers</caption>
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">State</th>
            <th scope="col">Since</th>
            <th scope="col">By</th>
            <th scope="col">Reason</th>
            <th scope="col">Next probe</th>
            <th scope="col">Transitions</th>
            <th scope="col">By hand</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((b) => {
            const next = b.status === 'closed' ? 'open' : 'closed';
            return (
              <tr key={b.service} class={b.status === 'closed' ? undefined : 'row-stalled'}>
                <th scope="row">{b.service}</th>
                <td>
                  <span class={`state breaker-${b.status}`}>{b.status}</span>
                </td>
                <td>{when(b.since)}</td>
                <td>{b.by ?? '—'}</td>
                <td>{b.reason ?? '—'}</td>
                <td>{b.status === 'open' ? (b.probeAt ? when(b.probeAt) : 'none: closed by hand only') : '—'}</td>
                <td>
                  <Link href={`/streams/${streamOf(b.service)}`}>{b.transitions}</Link>
                </td>
                <td>
                  <button
                    type="button"
                    class={next === 'open' ? 'danger' : undefined}
                    onClick={() => setConfirming({ service: b.service, state: next })}
                  >
                    {next === 'open' ? `Open ${b.service}…` : `Close ${b.service}…`}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {confirming && (
        <form
          class="confirm"
          onSubmit={(e) => void apply(e)}
          aria-label={`Confirm: ${verb(confirming.state)} ${confirming.service}`}
        >
          <p>
            {confirming.state === 'open'
              ? `Opening ${confirming.service} by hand makes its calls fail fast and the sagas that need it wait, until a hand closes it.`
              : `Closing ${confirming.service} lets its calls through again; the waiting sagas resume a few at a time.`}
          </p>
          <div class="actions">
            <label>
              Reason (recorded with the transition)
              <input required maxLength={500} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
            </label>
            <button type="submit" class="danger" disabled={!reason.trim()}>
              Confirm: {verb(confirming.state)} {confirming.service}
            </button>
            <button type="button" onClick={() => setConfirming(undefined)}>
              Keep it as it is
            </button>
          </div>
        </form>
      )}
      <Answer answer={answer} />
    </>
  );
}

/** The last transitions of one breaker, newest first, from its stream. */
function Transitions(props: { breaker: BreakerRow }) {
  const { service, transitions } = props.breaker;
  const events = useResource(
    () =>
      transitions === 0
        ? Promise.resolve({ events: [] as RecordedEvent[] })
        : get<{ events: RecordedEvent[] }>(`/streams/${seg(streamOf(service))}/events`, {
            fromVersion: Math.max(1, transitions - RECENT + 1),
            limit: RECENT,
          }),
    [service, transitions],
  );
  const recent = [...(events.data?.events ?? [])].reverse();
  return (
    <Section title={`Recent transitions of ${service}`} id={`transitions-${service}`}>
      {events.error !== undefined && <ErrorMessage error={events.error} what={`The stream ${streamOf(service)}`} />}
      {events.data && recent.length === 0 && <p>No transition yet: it has been closed all along.</p>}
      {recent.length > 0 && (
        <table>
          <caption>{`Transitions of ${service}, newest first`}</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">At</th>
              <th scope="col">Transition</th>
              <th scope="col">By</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {recent.map((e) => {
              const data = e.data as { at?: string; by?: string; reason?: string };
              return (
                <tr key={e.version}>
                  <td>{e.version}</td>
                  <td>{when(data.at ?? e.metadata?.timestamp)}</td>
                  <td>{e.type}</td>
                  <td>{data.by ?? '—'}</td>
                  <td>{data.reason ?? '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Section>
  );
}
