import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, get, post, seg } from '../api';
import { TimeChart, type Series } from '../components/chart';
import { DeadLetterTable } from '../components/dead-letters';
import { Answer, ErrorMessage, LiveBadge, Loading, Section } from '../components/feedback';
import { useLive, useResource, useThrottled } from '../hooks';
import type { DeadLetter, ProjectionRow } from '../types';

/** Samples kept for the lag chart: a few minutes of live updates. */
const SAMPLES = 300;

interface Sample {
  at: number;
  lag: Record<string, number>;
}

interface ReadSideHealth {
  ready: boolean;
  stalled: Array<{ name: string; lagEvents: number; lagMs: number }>;
}

/** GET /health/read-side answers 503 while something is stalled, with the same body: both are an answer here. */
async function readSideHealth(): Promise<ReadSideHealth> {
  try {
    return await call<ReadSideHealth>('GET', '/health/read-side');
  } catch (err) {
    if (err instanceof ApiError && err.status === 503 && err.body && typeof err.body === 'object')
      return err.body as ReadSideHealth;
    throw err;
  }
}

/** The read side: each projection's state and lag (live, charted), its dead letters, and rebuilds. */
export function ReadSidePage() {
  const projections = useResource(
    () => get<{ headPosition: number; projections: ProjectionRow[] }>('/projections'),
    [],
  );
  const health = useResource(readSideHealth, []);
  const letters = useResource(() => get<{ deadLetters: DeadLetter[] }>('/dead-letters', { status: 'open' }), []);
  const [samples, setSamples] = useState<Sample[]>([]);
  const addSample = (rows: Array<{ name: string; lagEvents: number }>) =>
    setSamples((previous) =>
      [...previous, { at: Date.now(), lag: Object.fromEntries(rows.map((p) => [p.name, p.lagEvents])) }].slice(
        -SAMPLES,
      ),
    );
  const reloadProjections = useThrottled(() => {
    projections.reload();
    health.reload();
  }, 250);
  const reloadLetters = useThrottled(letters.reload, 250);
  // The feed sends the read side's states whenever one changes (and its first frame at once): each
  // is a point on the chart, and a reason to read the full rows (with their last errors) again.
  const live = useLive(['read-side', 'dead-letters'], (event) => {
    if (event.type === 'read-side') {
      const frame = event.data as { projections?: Array<{ name: string; lagEvents: number }> } | null;
      if (frame?.projections) addSample(frame.projections);
      reloadProjections();
    } else if (event.type === 'dead-letters') reloadLetters();
  });
  const reload = () => {
    reloadProjections();
    reloadLetters();
  };

  const rows = projections.data?.projections ?? [];
  const stalled = rows.filter((p) => p.state === 'stalled');
  useEffect(() => {
    document.title = stalled.length
      ? `STALLED: ${stalled.map((p) => p.name).join(', ')} · Operator console`
      : 'Read side · Operator console';
  }, [stalled.map((p) => p.name).join(',')]);

  const series: Series[] = rows.map((p) => ({
    label: p.name,
    points: samples.filter((s) => p.name in s.lag).map((s) => ({ x: s.at, y: s.lag[p.name] ?? 0 })),
  }));

  return (
    <>
      <h1>
        Read side <LiveBadge status={live} />
      </h1>
      {stalled.length > 0 && (
        <div class="stall-banner" role="alert" id="stall-banner">
          <p class="stall-title">Stalled: {stalled.map((p) => p.name).join(', ')}</p>
          {stalled.map((p) => (
            <p key={p.name}>
              {p.name} has work it has not moved for {Math.round(p.lagMs / 1000)} s ({p.lagEvents} events behind)
              {p.lastError ? `; last error: ${p.lastError}` : ''}. Its read model is stale until it moves again.
            </p>
          ))}
        </div>
      )}
      {health.data && (
        <p class={`message ${health.data.ready ? 'ok' : 'error'}`}>
          GET /health/read-side: {health.data.ready ? 'ready' : 'not ready'}
        </p>
      )}
      {health.error !== undefined && <ErrorMessage error={health.error} />}
      <Section title="Projections">
        {projections.error !== undefined && <ErrorMessage error={projections.error} />}
        {projections.data === undefined && projections.error === undefined && <Loading what="projections" />}
        {projections.data && <ProjectionTable rows={rows} head={projections.data.headPosition} onRebuilt={reload} />}
      </Section>
      <Section title="Lag (events behind the log's head)">
        <TimeChart series={series} label="Each projection's lag in events over time" yTitle="events behind" />
      </Section>
      <Section title="Parked events and dead letters">
        {letters.error !== undefined && <ErrorMessage error={letters.error} />}
        {letters.data && (
          <DeadLetterTable letters={letters.data.deadLetters} onChanged={reload} caption="Open dead letters" />
        )}
      </Section>
    </>
  );
}

function ProjectionTable(props: { rows: ProjectionRow[]; head: number; onRebuilt: () => void }) {
  const [confirming, setConfirming] = useState<string | undefined>(undefined);
  const [answer, setAnswer] = useState<{ ok: boolean; title: string; body: unknown } | undefined>(undefined);
  const rebuild = async (name: string) => {
    setConfirming(undefined);
    try {
      const body = await post(`/projections/${seg(name)}/rebuild`);
      setAnswer({ ok: true, title: `Rebuild of ${name} requested`, body });
    } catch (err) {
      setAnswer({
        ok: false,
        title: `Rebuild of ${name} refused${err instanceof ApiError ? ` (HTTP ${err.status}): ${err.message}` : `: ${String(err)}`}`,
        body: err instanceof ApiError ? err.body : undefined,
      });
    }
    props.onRebuilt();
  };
  return (
    <>
      <table>
        <caption>Projections (log head at position {props.head})</caption>
        <thead>
          <tr>
            <th scope="col">Projection</th>
            <th scope="col">State</th>
            <th scope="col">Lag (events)</th>
            <th scope="col">Lag (time)</th>
            <th scope="col">Parked events</th>
            <th scope="col">Generation</th>
            <th scope="col">Last error</th>
            <th scope="col">Rebuild</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((p) => (
            <tr key={p.name} class={p.state === 'stalled' ? 'row-stalled' : undefined}>
              <th scope="row">{p.name}</th>
              <td>
                <span class={`state state-${p.state}`}>{p.state}</span>
              </td>
              <td>{p.lagEvents}</td>
              <td>{(p.lagMs / 1000).toFixed(1)} s</td>
              <td>{p.parked ?? 0}</td>
              <td>
                {p.generation ?? '—'}
                {p.rebuilding ? ` (building ${p.rebuilding.generation})` : ''}
              </td>
              <td>{p.lastError ?? '—'}</td>
              <td>
                {confirming === p.name ? (
                  <>
                    <button type="button" class="danger" onClick={() => void rebuild(p.name)}>
                      Confirm rebuild of {p.name}
                    </button>{' '}
                    <button type="button" onClick={() => setConfirming(undefined)}>
                      Keep it
                    </button>
                  </>
                ) : (
                  <button type="button" onClick={() => setConfirming(p.name)} aria-label={`Rebuild ${p.name}`}>
                    Rebuild…
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Answer answer={answer} />
    </>
  );
}
