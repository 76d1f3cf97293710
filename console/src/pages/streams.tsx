import { useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { get, seg } from '../api';
import { ErrorMessage, Json, Loading, Section, when } from '../components/feedback';
import { useResource } from '../hooks';
import type { RecordedEvent } from '../types';

interface StreamPage {
  streamId: string;
  streamType: string;
  version: number;
  events: RecordedEvent[];
  nextVersion: number | null;
}

interface FoldedAt {
  version: number;
  position: number | null;
  timestamp: string | null;
  state: Record<string, unknown>;
}

interface StreamState {
  streamId: string;
  then: FoldedAt;
  now: FoldedAt;
  changes: Array<{ path: string; then: unknown; now: unknown }>;
}

const PAGE = 50;
const shown = (value: unknown) =>
  value === null || value === undefined ? '—' : typeof value === 'string' ? value : JSON.stringify(value);

/** Browse a stream of the event log, and replay its aggregate to a version or an instant (time travel). */
export function StreamsPage(props: { streamId?: string }) {
  const [typed, setTyped] = useState(props.streamId ?? '');
  return (
    <>
      <h1>Streams</h1>
      <form
        class="inline"
        aria-label="Open a stream"
        onSubmit={(e) => {
          e.preventDefault();
          if (typed.trim()) location.hash = `#/streams/${encodeURIComponent(typed.trim())}`;
        }}
      >
        <label>
          Stream id
          <input value={typed} onInput={(e) => setTyped(e.currentTarget.value)} placeholder="order-…, account-…" />
        </label>
        <button type="submit">Open stream</button>
      </form>
      <p class="hint">
        A stream is <code>&lt;type&gt;-&lt;id&gt;</code>: order-, payment-, reservation-, shipment-, account-, sku-. An
        order's page links each of its streams.
      </p>
      {props.streamId && <Stream key={props.streamId} streamId={props.streamId} />}
    </>
  );
}

function Stream(props: { streamId: string }) {
  const [fromVersion, setFromVersion] = useState(1);
  const page = useResource(
    () => get<StreamPage>(`/streams/${seg(props.streamId)}/events`, { fromVersion, limit: PAGE }),
    [props.streamId, fromVersion],
  );
  const [travel, setTravel] = useState<{ version?: string; asOf?: string } | undefined>(undefined);
  return (
    <>
      <Section title={`Events of ${props.streamId}`} id="stream-events">
        {page.error !== undefined && <ErrorMessage error={page.error} what={`Stream ${props.streamId}`} />}
        {page.data === undefined && page.error === undefined && <Loading what="the stream" />}
        {page.data && (
          <>
            <p>
              {page.data.streamType} stream at version {page.data.version}
            </p>
            <table>
              <caption>
                Versions {fromVersion} to {fromVersion + page.data.events.length - 1}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Event</th>
                  <th scope="col">Recorded</th>
                  <th scope="col">Position</th>
                  <th scope="col">Data</th>
                  <th scope="col">Time travel</th>
                </tr>
              </thead>
              <tbody>
                {page.data.events.map((e) => (
                  <tr key={e.version}>
                    <td>{e.version}</td>
                    <td>{e.type}</td>
                    <td>{when(e.metadata?.timestamp)}</td>
                    <td>{e.position}</td>
                    <td>
                      <details>
                        <summary>data</summary>
                        <Json value={e.data} />
                      </details>
                    </td>
                    <td>
                      <button type="button" onClick={() => setTravel({ version: String(e.version) })}>
                        State at v{e.version}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div class="pager">
              <button
                type="button"
                disabled={fromVersion === 1}
                onClick={() => setFromVersion(Math.max(1, fromVersion - PAGE))}
              >
                Earlier events
              </button>
              <button
                type="button"
                disabled={page.data.nextVersion === null}
                onClick={() => page.data?.nextVersion && setFromVersion(page.data.nextVersion)}
              >
                Later events
              </button>
            </div>
          </>
        )}
      </Section>
      <TimeTravel streamId={props.streamId} picked={travel} onPick={setTravel} />
    </>
  );
}

function TimeTravel(props: {
  streamId: string;
  picked: { version?: string; asOf?: string } | undefined;
  onPick: (at: { version?: string; asOf?: string }) => void;
}) {
  const [version, setVersion] = useState('');
  const [asOf, setAsOf] = useState('');
  const at = props.picked;
  const state = useResource(
    () =>
      at
        ? get<StreamState>(`/streams/${seg(props.streamId)}/state`, { version: at.version, asOf: at.asOf })
        : Promise.resolve(undefined),
    [props.streamId, at?.version, at?.asOf],
  );
  return (
    <Section title="Time travel" id="time-travel">
      <form
        class="inline"
        aria-label="Replay the aggregate to a version or an instant"
        onSubmit={(e) => {
          e.preventDefault();
          props.onPick({
            version: version.trim() || undefined,
            asOf: asOf ? new Date(asOf).toISOString() : undefined,
          });
        }}
      >
        <label>
          At version
          <input value={version} inputMode="numeric" onInput={(e) => setVersion(e.currentTarget.value)} />
        </label>
        <label>
          At time
          <input type="datetime-local" step="1" value={asOf} onInput={(e) => setAsOf(e.currentTarget.value)} />
        </label>
        <button type="submit">Show state then and now</button>
      </form>
      {at && state.error !== undefined && <ErrorMessage error={state.error} what={`${props.streamId} at that point`} />}
      {state.data && (
        <>
          <div class="columns">
            <div>
              <h3>
                Then: version {state.data.then.version}
                {state.data.then.timestamp && `, ${when(state.data.then.timestamp)}`}
              </h3>
              <Json value={state.data.then.state} />
            </div>
            <div>
              <h3>
                Now: version {state.data.now.version}
                {state.data.now.timestamp && `, ${when(state.data.now.timestamp)}`}
              </h3>
              <Json value={state.data.now.state} />
            </div>
          </div>
          <table class="diff">
            <caption>
              {state.data.changes.length === 0 ? 'Nothing changed since then' : 'What changed since then'}
            </caption>
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Then</th>
                <th scope="col">Now</th>
              </tr>
            </thead>
            <tbody>
              {state.data.changes.map((c) => (
                <tr key={c.path}>
                  <th scope="row">{c.path}</th>
                  <td class="then">{shown(c.then)}</td>
                  <td class="now">{shown(c.now)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {!at && <p>Pick a version in the table above, or type a version or a time.</p>}
      <p class="hint">
        Accounts also have their own page: <Link href="/accounts">Accounts</Link>.
      </p>
    </Section>
  );
}
