import { ratioChart, table, verdict, type GoalRow } from './report';
import { soakGoals, soakSection } from './render-soak';
import type { CpuReport } from './cpu';
import type { CommandCpu } from './round-trips';
import { commandGoals, commandsSection } from './render-commands';
import { minimalGoals, minimalSection } from './render-minimal';
import { hotSkuGoals, hotSkuSection, pooledHotSku, scaleSection } from './render-load';
import { hotAccountGoals, hotAccountSection, pooledHotAccount } from './render-hot-account';
import { ratio } from './util';

/* The report object as run.ts builds it; scenario results are read loosely (a scenario may have failed). */
type Report = {
  mode: string;
  /** The chart's file name beside the report (a partial run's carries `-partial`). */
  chart?: string;
  startedAt: string;
  durationSeconds: number;
  machine: any;
  mongoPerScenario: string;
  goals: GoalRow[];
  results: Record<string, any>;
  failures: Record<string, string>;
};

const f = (x: unknown, digits = 1) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '–');

export function goals(report: Pick<Report, 'results'>): GoalRow[] {
  const rows: GoalRow[] = [];
  const { saga, append, rehydrate, lag, replay } = report.results;
  for (const l of saga?.levels ?? []) {
    rows.push({
      scenario: '1 saga',
      metric: `completed sagas/s at C=${l.concurrency}`,
      ours: f(l.ours.perSecond, 2),
      baseline: f(l.baseline.perSecond, 2),
      ratio: l.throughputRatio,
      goal: '>= 0.8',
      met: Number.isFinite(l.throughputRatio) ? l.throughputRatio >= 0.8 : null,
    });
    const c1 = l.concurrency === 1;
    rows.push({
      scenario: '1 saga',
      metric: `latency p50 / p95 / p99 ms at C=${l.concurrency}`,
      ours: `${f(l.ours.latencyMs.p50, 0)} / ${f(l.ours.latencyMs.p95, 0)} / ${f(l.ours.latencyMs.p99, 0)}`,
      baseline: `${f(l.baseline.latencyMs.p50, 0)} / ${f(l.baseline.latencyMs.p95, 0)} / ${f(l.baseline.latencyMs.p99, 0)}`,
      ratio: l.p50Ratio,
      goal: c1 ? 'p50 <= 1.5x' : '(p50 ratio shown)',
      met: c1 && Number.isFinite(l.p50Ratio) ? l.p50Ratio <= 1.5 : null,
    });
    if (c1 && l.baseline.latencyMs.p10) {
      const spread = ratio(l.baseline.latencyMs.p50, l.baseline.latencyMs.p10);
      rows.push({
        scenario: '1 saga',
        metric: 'no-op baseline p50 / its own p10 ms at C=1',
        ours: '–',
        baseline: `${f(l.baseline.latencyMs.p50, 0)} / ${f(l.baseline.latencyMs.p10, 0)}`,
        ratio: spread,
        goal: 'p50 <= 1.5x p10',
        met: Number.isFinite(spread) ? spread <= 1.5 : null,
      });
    }
  }
  rows.push(...minimalGoals(saga?.levels ?? []));
  rows.push(...commandGoals(saga?.levels ?? []));
  rows.push(...hotSkuGoals(report.results.hotSku));
  rows.push(...hotAccountGoals(report.results.hotAccount));
  for (const s of append?.summary ?? []) {
    rows.push({
      scenario: '2 append',
      metric: `events/s, ${s.eventsPerAppend} per append, vs raw driver`,
      ours: f(s.ours, 0),
      baseline: f(s.raw, 0),
      ratio: s.oursVsRaw,
      goal: '>= 0.7',
      met: Number.isFinite(s.oursVsRaw) ? s.oursVsRaw >= 0.7 : null,
    });
    rows.push({
      scenario: '2 append',
      metric: `events/s, ${s.eventsPerAppend} per append, vs Emmett`,
      ours: f(s.ours, 0),
      baseline: f(s.emmett, 0),
      ratio: s.oursVsEmmett,
      goal: '>= 1.5',
      met: Number.isFinite(s.oursVsEmmett) ? s.oursVsEmmett >= 1.5 : null,
    });
  }
  for (const r of rehydrate?.rows ?? []) {
    rows.push({
      scenario: '3 rehydrate',
      metric: `load ${r.events.toLocaleString('en-US')} events (ms): full fold / snapshot`,
      ours: `${f(r.oursFullMs, 1)} / ${f(r.oursSnapshotMs, 1)}`,
      baseline: r.emmettMs !== null ? `Emmett ${f(r.emmettMs, 1)}` : 'Emmett: cannot (see report)',
      // Like for like: our full fold against Emmett's full fold; the snapshot path beside it.
      ratio: r.speedupFullVsEmmett,
      goal: `(Emmett time / our full fold; snapshot: ${r.speedupSnapshotVsEmmett === null || r.speedupSnapshotVsEmmett === undefined ? '–' : f(r.speedupSnapshotVsEmmett, 2)})`,
      met: null,
    });
  }
  for (const r of lag?.rows ?? []) {
    // Goals: p99 <= 1.5x the bare watch at 50/s, <= 2x at 200/s; at the sustained rate, no growth.
    if (r.eventsPerSecond >= 500) {
      rows.push({
        scenario: '4 projection lag',
        metric: `lag slope ms/s over ${r.seconds ?? '?'} s at ${r.eventsPerSecond} events/s (achieved ${r.achievedPerSecond})`,
        ours: f(r.slopeMsPerSecond ?? NaN, 2),
        baseline: `p99 ${f(r.bareChangeStreamMs.p99, 0)}, slope ${r.bareSlopeMsPerSecond === undefined ? '?' : f(r.bareSlopeMsPerSecond, 2)}`,
        ratio: r.p99Ratio,
        goal: 'slope ~ 0',
        met: Number.isFinite(r.slopeMsPerSecond) ? Math.abs(r.slopeMsPerSecond) < 1 : null,
      });
      continue;
    }
    const limit = r.eventsPerSecond >= 200 ? 2 : 1.5;
    rows.push({
      scenario: '4 projection lag',
      metric: `p50 / p99 ms at ${r.eventsPerSecond} events/s`,
      ours: `${f(r.oursMs.p50, 0)} / ${f(r.oursMs.p99, 0)}`,
      baseline: `${f(r.bareChangeStreamMs.p50, 0)} / ${f(r.bareChangeStreamMs.p99, 0)}`,
      ratio: r.p99Ratio,
      goal: `p99 <= ${limit}x`,
      met: Number.isFinite(r.p99Ratio) ? r.p99Ratio <= limit : null,
    });
  }
  for (const r of replay?.rows ?? []) {
    rows.push({
      scenario: '5 replay',
      metric: `${r.workflow}: histories replayed/s`,
      ours: f(r.perSecond, 1),
      baseline: '',
      ratio: r.workflow.startsWith('orderSaga') ? (replay.sagaVsBaseline ?? null) : null,
      goal: '',
      met: null,
    });
  }
  const replayed = (prefix: string) => replay?.rows.find((r: any) => r.workflow.startsWith(prefix));
  if (replay?.cpuVsMinimal && replayed('orderSaga') && replayed('minimal')) {
    rows.push({
      scenario: '5 replay',
      metric: 'CPU ms per replayed history: orderSaga against the minimal durable saga (its workflow code alone)',
      ours: f(replayed('orderSaga').cpuMsPerHistory, 2),
      baseline: f(replayed('minimal').cpuMsPerHistory, 2),
      ratio: replay.cpuVsMinimal,
      goal: '(reported)',
      met: null,
    });
  }
  rows.push(...soakGoals(report.results.soak));
  return rows;
}

export function consoleSummary(report: Report): string {
  const rows = report.goals.map((g) => [
    g.scenario,
    g.metric,
    g.ours,
    g.baseline,
    g.ratio === null ? '' : f(g.ratio, 2),
    g.goal,
    verdict(g.met),
  ]);
  const header = ['scenario', 'metric', 'ours', 'baseline', 'ratio', 'goal', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: string[]) => cells.map((c, i) => String(c).padEnd(widths[i]!)).join('  ');
  const failures = Object.entries(report.failures).map(([k, v]) => `FAILED ${k}: ${v}`);
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(r)), ...failures].join('\n');
}

export function renderSvg(report: Report): string {
  const bars: Array<{ label: string; value: number | null; goal?: number; note?: string }> = [];
  const { saga, append, lag, rehydrate, replay } = report.results;
  for (const l of saga?.levels ?? [])
    bars.push({ label: `1 saga throughput, C=${l.concurrency}`, value: l.throughputRatio, goal: 0.8 });
  for (const l of saga?.levels ?? [])
    if (l.minimalRatios)
      bars.push({
        label: `1 saga vs minimal saga: throughput, C=${l.concurrency}`,
        value: l.minimalRatios.throughput,
        goal: 0.7,
      });
  if (report.results.hotSku?.runs?.length) {
    const { ratio: hot } = pooledHotSku(report.results.hotSku.runs);
    bars.push({
      label: 'hot SKU: p99 of 64 SKUs / of one SKU',
      value: Number.isFinite(hot) && hot > 0 ? 1 / hot : null,
      goal: 1 / 3,
    });
  }
  if (report.results.hotAccount?.runs?.length) {
    const { ratio: hot } = pooledHotAccount(report.results.hotAccount.runs);
    bars.push({
      label: 'hot account: p99 of 64 accounts / of one',
      value: Number.isFinite(hot) && hot > 0 ? 1 / hot : null,
      goal: 1 / 3,
    });
  }
  for (const s of append?.summary ?? []) {
    bars.push({ label: `2 append x${s.eventsPerAppend}: ours / raw driver`, value: s.oursVsRaw, goal: 0.7 });
    bars.push({
      label: `2 append x${s.eventsPerAppend}: ours / Emmett`,
      value: s.oursVsEmmett,
      goal: 1.5,
      note: Number.isFinite(s.oursVsEmmett) ? undefined : 'Emmett failed',
    });
  }
  for (const r of rehydrate?.rows ?? []) {
    bars.push({
      label: `3 load ${r.events.toLocaleString('en-US')} events: Emmett / ours`,
      value: r.speedupSnapshotVsEmmett ?? r.speedupFullVsEmmett,
      note: r.emmettError ? 'Emmett cannot hold this stream' : r.speedupSnapshotVsEmmett ? '(snapshot)' : '(full fold)',
    });
  }
  for (const r of lag?.rows ?? [])
    bars.push({
      label: `4 lag p99 at ${r.eventsPerSecond}/s: bare / ours`,
      value: Number.isFinite(r.p99Ratio) && r.p99Ratio > 0 ? 1 / r.p99Ratio : null,
      goal: 1 / 1.5,
    });
  if (replay?.sagaVsBaseline)
    bars.push({ label: '5 replay: orderSaga / no-op workflow', value: replay.sagaVsBaseline });
  const m = report.machine;
  return ratioChart(
    `npm run bench (${report.mode}), ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC`,
    `${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, Temporal ${m.temporal.serverVersion ?? '?'}, MongoDB: ${m.mongodb.source} — ratios within one run`,
    bars,
  );
}

function cpuLine(cpu: CpuReport | undefined): string {
  if (!cpu) return '–';
  return (
    cpu.processes.map((p) => `${p.name.split(' (')[0]} ${f(p.avgCores, 2)}`).join(', ') +
    (cpu.machineBusyCores !== null ? `; whole machine ${f(cpu.machineBusyCores, 2)} cores busy` : '')
  );
}

export function renderMarkdown(report: Report): string {
  const { saga, append, rehydrate, lag, replay, lookups, profile } = report.results;
  const m = report.machine;
  const out: string[] = [];
  out.push(`# Benchmark report (${report.mode} run, ${report.startedAt.slice(0, 10)})`, '');
  out.push(
    'Produced by `npm run bench`. Every scenario runs next to its baseline in the same run, on the same servers, and the ratio is what to read: these machines are shared and noisy, so absolute numbers move from run to run.',
    '',
  );
  out.push('## Machine', '');
  out.push(
    table(
      ['', ''],
      [
        ['cores / memory', `${m.cores} × ${m.cpuModel} / ${m.memoryGiB} GiB`],
        ['OS / Node', `${m.os} / ${m.node}`],
        [
          'Temporal',
          `server ${m.temporal.serverVersion ?? '?'} (getSystemInfo); CLI: ${(m.temporal.cli ?? '?').replace(/\n/g, ' ')}; source: ${m.temporal.source}`,
        ],
        ...(m.temporal.dynamicConfig
          ? [['Temporal dev server settings (--dynamic-config-value)', m.temporal.dynamicConfig.join(', ')]]
          : []),
        ['MongoDB', `${m.mongodb.source} (reports ${m.mongodb.version}); ${report.mongoPerScenario}`],
        ...(m.mongodb.roundTripsUs
          ? [
              [
                'MongoDB round trip, idle, one command at a time (median µs)',
                Object.entries(m.mongodb.roundTripsUs)
                  .map(([k, v]) => `${k} ${String(v)}`)
                  .join(' · '),
              ],
            ]
          : []),
        ...(m.mongodb.commandCpuUs
          ? [
              [
                'MongoDB command CPU, idle, one at a time (µs per command: this client / the server, its JIT apart)',
                Object.entries(m.mongodb.commandCpuUs as CommandCpu)
                  .map(([k, v]) => `${k} ${String(v.client)} / ${v.server === null ? '–' : String(v.server)}`)
                  .join(' · '),
              ],
            ]
          : []),
        ['load average at start / end', `${m.loadAverageAtStart.join(' ')} / ${(m.loadAverageAtEnd ?? []).join(' ')}`],
        ['duration', `${report.durationSeconds} s`],
      ],
    ),
    '',
  );
  out.push(
    '## Results and goals',
    '',
    `![ratios](${report.chart ?? `${report.startedAt.slice(0, 10)}${report.mode === 'quick' ? '-quick' : ''}.svg`})`,
    '',
  );
  out.push(
    table(
      ['scenario', 'metric', 'ours', 'baseline', 'ratio', 'goal', 'verdict'],
      report.goals.map((g) => [
        g.scenario,
        g.metric,
        g.ours,
        g.baseline,
        g.ratio === null ? '' : f(g.ratio, 2),
        g.goal,
        verdict(g.met),
      ]),
    ),
    '',
  );
  for (const [k, v] of Object.entries(report.failures)) out.push(`**${k} failed:** \`${v}\``, '');

  if (saga) {
    out.push('## 1. Saga throughput and latency', '');
    out.push(
      [
        'Ours: `POST /orders` (Update-with-Start) → the saga (createOrder, processPayment, reserveItems, scheduleShipment, completeOrder) → its result.',
        'Baseline: a bench-only workflow with five no-op activities (bench/baseline/), its own worker process and task queue with the same worker settings, started with the client → its result.',
        'Both sides end at the workflow result, so the ratio is like for like.',
        "When each order became readable (its document in the orders read model shows `COMPLETED`, found by one batched read every 10 ms, as the minimal side's are) is measured beside it, from the same start, and reported in its own column; after each round the bench checks that `GET /orders/:id` answers `COMPLETED` for every one of its orders.",
        'Closed loop: C clients, each starts its next one when the previous one has finished.',
        "Each level alternates baseline and ours in rounds (our consumers paused during the baseline's rounds, see idle CPU below), the no-op side first and ours and the minimal saga swapping places every round (counted over the run), so that neither always runs right after the other; each round's load is listed below the table, and a round with more than half a core busy outside the bench's own processes is marked.",
      ].join(' '),
      '',
    );
    out.push(
      table(
        [
          'C',
          'ours sagas/s',
          'baseline/s',
          'ratio',
          'ours p50 / p95 / p99 ms',
          'baseline p50 / p10 / p95 / p99 ms',
          'p50 ratio',
          'readable in the read model p50 / p99 ms',
          'failed',
          'CPU during ours, last round (avg cores)',
          'CPU during baseline, last round',
        ],
        saga.levels.map((l: any) => [
          l.concurrency,
          f(l.ours.perSecond, 2),
          f(l.baseline.perSecond, 2),
          f(l.throughputRatio, 2),
          `${f(l.ours.latencyMs.p50, 0)} / ${f(l.ours.latencyMs.p95, 0)} / ${f(l.ours.latencyMs.p99, 0)}`,
          `${f(l.baseline.latencyMs.p50, 0)} / ${f(l.baseline.latencyMs.p10 ?? NaN, 0)} / ${f(l.baseline.latencyMs.p95, 0)} / ${f(l.baseline.latencyMs.p99, 0)}`,
          f(l.p50Ratio, 2),
          l.ours.readModelMs ? `${f(l.ours.readModelMs.p50, 0)} / ${f(l.ours.readModelMs.p99, 0)}` : '–',
          `${l.ours.failed} / ${l.baseline.failed}`,
          cpuLine(l.ours.cpu),
          cpuLine(l.baseline.cpu),
        ]),
      ),
      '',
    );
    const rounds = saga.levels.flatMap((l: any) =>
      (l.rounds ?? []).map((r: any) => [
        l.concurrency,
        r.round,
        r.side,
        r.items,
        f(r.perSecond, 2),
        f(r.p50, 0),
        f(r.loadAverage, 1),
        r.outsideCores === null ? '–' : f(r.outsideCores, 2),
        r.heavyOutsideLoad ? '**heavy outside load**' : '',
      ]),
    );
    if (saga.warmup?.rounds?.length)
      out.push(
        `${saga.warmup.customersPrimed ? `Before the warm-up, each of the ${saga.warmup.customersPrimed} customers the levels use placed one order, so what a customer costs once (its data key, the API's fold of its account) is not charged to the level where it first appears. ` : ''}Warm-up: ${saga.warmup.rounds.length} round(s) of ${saga.warmup.ordersPerRound} orders and ${saga.warmup.ordersPerRound} workflows of each baseline, until the MongoDB server's JIT compiler threads used less than ${saga.warmup.settledBelowCores} cores over a round (the stand-in is a JVM; what it compiles is not a saga's work, and the work per saga holds it apart). Compiler cores per warm-up round: ${saga.warmup.rounds.map((w: any) => f(w.jitCores, 2)).join(', ')}. Compiler CPU seconds during the measured levels (every side's rounds together): ${saga.levels.map((l: any) => `C=${l.concurrency} ${l.mongoJitCpuSeconds === undefined ? '–' : f(l.mongoJitCpuSeconds, 2)}`).join(', ')}.`,
        '',
      );
    if (saga.payloadEncryption !== undefined)
      out.push(
        `Payload encryption (PAYLOAD_KEYS) was **${saga.payloadEncryption ? 'on' : 'off'}** in this run, for both sides; personal fields are sealed per customer either way (with the development master key when PAYLOAD_KEYS is unset).`,
        '',
      );
    if (rounds.length)
      out.push(
        'Rounds, in the order they ran:',
        '',
        table(
          [
            'C',
            'round',
            'side',
            'items',
            'per second',
            'p50 ms',
            'load average at start',
            'cores busy outside the bench',
            '',
          ],
          rounds,
        ),
        '',
      );
    if (saga.steps?.length) {
      out.push(
        'Per step at C=1, read from the histories of the last ten sagas of each side (p50 ms): the wait is scheduled → started (for a workflow task: until a worker picked it up; for an activity: 0 when it went out eagerly with the workflow task), the work is started → completed. A local activity has no task of its own: it runs inside a workflow task and is recorded as a marker when that task completes, so its row has no wait and its work is from that task’s start to the marker (bench/lib/step-timing.ts).',
        '',
        table(
          ['side', 'step', 'wait', 'work', 'samples'],
          saga.steps.map((r: any) => [r.side, r.step, f(r.waitMs, 1), f(r.workMs, 1), r.count]),
        ),
        '',
      );
    }
    const againstMinimal = minimalSection(saga.levels);
    if (againstMinimal) out.push(againstMinimal);
    const commands = commandsSection(saga.levels);
    if (commands) out.push(commands);
    out.push(whereTimeGoes(report), '');
  }
  const hot = hotSkuSection(report.results.hotSku);
  if (hot) out.push(hot);
  const hotAccount = hotAccountSection(report.results.hotAccount);
  if (hotAccount) out.push(hotAccount);
  const scale = scaleSection(report.results.scale);
  if (scale) out.push(scale);
  if (append) {
    out.push('## 2. Event append', '');
    out.push(
      `${append.concurrency} concurrent appenders, each on its own stream, with an optimistic concurrency check on every append (ours: \`expectedVersion\`; raw: the unique (streamId, version) index; Emmett: \`expectedStreamVersion\`). The variants take turns, ${append.warmupRounds ? `after ${append.warmupRounds} warm-up round not counted (the first turn of a run would otherwise pay for the JITs alone), ` : ''}${append.rounds} round(s) of ${append.secondsPerTurn} s each. Raw inserts get the same three unique indexes as our events collection but no position reservation, no idempotency lookup and no stream-head read: it is the floor of what any event store costs on this server.`,
      '',
    );
    out.push(
      table(
        ['variant', 'events per append', 'events', 'seconds', 'events/s', 'events/s per turn', 'error'],
        append.variants.map((v: any) => [
          v.name,
          v.eventsPerAppend,
          v.events,
          v.seconds,
          f(v.eventsPerSecond, 0),
          (v.turns ?? []).map((x: number) => f(x, 0)).join(', '),
          v.error ?? '',
        ]),
      ),
      '',
    );
    out.push(
      "Where an append of ours goes: look its event ids up when the caller chose them (idempotency; one `$in` on the unique eventId index — skipped here, as the bench passes no ids), find the stream head unless this process already knows it (exact `(streamId, version)` probes on the stand-in, one `$in` query per round, one indexed query on MongoDB) — these lookups go in one round trip —, reserve positions (`findOneAndUpdate` with `$inc` on the counter; in the lookups' round trip when the appends expect any version), insert (one ordered `insertMany` for the whole group). Concurrent appends are committed as a group (eventstore/group-commit.ts): here, with known stream heads and no ids, one reservation and one insert per group, against raw inserts' one round trip each.",
      '',
    );
  }
  if (lookups) {
    out.push('## Event store query fixes: before / after', '');
    out.push(
      `Measured in the same run on a database already holding ${lookups.background.toLocaleString('en-US')} events. The server ${lookups.serverIndexesRanges ? 'serves range queries from indexes (real MongoDB): the stand-in-specific paths are off' : 'is the stand-in, which only uses an index for an exact match on all of its keys (or `$in` on a single-field index): every other query scans the collection'}.`,
      '',
    );
    out.push(
      table(
        ['operation', 'before', 'after', 'before ops/s', 'after ops/s', 'speed-up'],
        lookups.rows.map((r: any) => [
          r.operation,
          r.before,
          r.after,
          f(r.beforePerSecond, 0),
          f(r.afterPerSecond, 0),
          `${f(r.speedup, 1)}×`,
        ]),
      ),
      '',
    );
  }
  if (rehydrate) {
    out.push('## 3. Rehydration', '');
    out.push(
      `Median time to load one account's state. Ours: full fold (\`useSnapshots: false\`) and from the latest snapshot (every ${rehydrate.snapshotEvery} events; the worst case, 99 events behind the head). Emmett: \`aggregateStream\` of the same events, same evolve function. Streams below 10,000 events are written with each store's own append (batches of 100); the 100,000-event stream is bulk-inserted as well-formed documents (ours: one document per event at reserved positions; Emmett: its one stream document) so the setup does not dominate the run.`,
      '',
    );
    out.push(
      table(
        [
          'events',
          'setup',
          'ours full fold ms',
          'ours snapshot ms',
          'snapshot',
          'Emmett ms',
          'Emmett / ours (full)',
          'Emmett / ours (snapshot)',
        ],
        rehydrate.rows.map((r: any) => [
          r.events.toLocaleString('en-US'),
          r.setup,
          f(r.oursFullMs, 1),
          f(r.oursSnapshotMs, 1),
          r.snapshotNote,
          r.emmettMs !== null ? f(r.emmettMs, 1) : `cannot: ${r.emmettError}`,
          f(r.speedupFullVsEmmett, 2),
          f(r.speedupSnapshotVsEmmett, 2),
        ]),
      ),
      '',
    );
  }
  if (lag) {
    out.push('## 4. Projection lag', '');
    out.push(
      `The saga's five events per order appended at a steady rate (open loop) while the real consumers run in ${lag.rows[0]?.projectors ?? 2} projector processes of their own, as docker-compose runs them, sharing the four projections and the email subscription through their leases. Lag is from the start of the append to (ours) the orders read model holding the event, in whichever process holds that projection (its own \`caughtUp\`, timed there), and (baseline) a bare \`watch()\` on the events collection, in the appending process, receiving the insert: both in the same run, on the same inserts.`,
      '',
    );
    out.push(
      table(
        [
          'target events/s',
          'achieved',
          'events',
          'ours p50 / p95 / p99 ms',
          'bare watch p50 / p95 / p99 ms',
          'the append itself p50 / p99 ms',
          'p50 ratio',
          'p99 ratio',
          'lag slope ms/s (ours / bare watch / append)',
          'missed',
        ],
        lag.rows.map((r: any) => [
          r.eventsPerSecond,
          r.achievedPerSecond,
          r.events,
          `${f(r.oursMs.p50, 0)} / ${f(r.oursMs.p95, 0)} / ${f(r.oursMs.p99, 0)}`,
          `${f(r.bareChangeStreamMs.p50, 0)} / ${f(r.bareChangeStreamMs.p95, 0)} / ${f(r.bareChangeStreamMs.p99, 0)}`,
          r.appendMs ? `${f(r.appendMs.p50, 0)} / ${f(r.appendMs.p99, 0)}` : '–',
          f(r.p50Ratio, 2),
          f(r.p99Ratio, 2),
          `${f(r.slopeMsPerSecond ?? NaN, 2)} / ${f(r.bareSlopeMsPerSecond ?? NaN, 2)} / ${f(r.appendSlopeMsPerSecond ?? NaN, 2)}`,
          r.missed,
        ]),
      ),
      '',
    );
    out.push(
      'When the append itself takes as long as the lag (the open-loop load is beyond what the store can append), the bare watch falls behind as much as ours: the limit is the server, not the projection.',
      '',
    );
  }
  if (lag?.projectorProfile) {
    out.push('### Profile of one projector process during the lag scenario', '');
    out.push(
      `V8's sampling profiler in the first of the ${lag.rows[0]?.projectors ?? '?'} projector processes, over the whole scenario (it holds whichever projections its leases won; the orders projection is in one of them).`,
      '',
    );
    out.push(
      table(
        ['code', 'ms', 'share'],
        lag.projectorProfile.byCategory.map((c: any) => [c.category, c.ms, `${c.share}%`]),
      ),
      '',
    );
    out.push(
      table(
        ['function', 'code', 'ms', 'share'],
        lag.projectorProfile.topFunctions.slice(0, 10).map((c: any) => [`\`${c.fn}\``, c.where, c.ms, `${c.share}%`]),
      ),
      '',
    );
  }
  if (replay) {
    out.push('## 5. Replay', '');
    out.push(
      'Histories recorded in this run (`fetchHistory()`), replayed with `Worker.runReplayHistories` over and over. Setup (bundling the workflow code) is reported apart; the rate is from the end of a warm-up (the first fifth of the replays, at most 60) to the last result, and so is the CPU per history: this process, every thread (the replayer runs workflows in worker threads). A replay runs the workflow code and none of its activities, and talks to no server, so the CPU is what the workflow code itself costs a worker.',
      '',
    );
    out.push(
      table(
        [
          'workflow',
          'histories',
          'events per history',
          'replays',
          'setup s',
          'replays/s',
          'CPU ms per history',
          'failures',
        ],
        replay.rows.map((r: any) => [
          r.workflow,
          r.histories,
          r.eventsPerHistory,
          r.replays,
          f(r.setupSeconds, 1),
          f(r.perSecond, 1),
          r.cpuMsPerHistory === undefined ? '–' : f(r.cpuMsPerHistory, 2),
          r.failures,
        ]),
      ),
      '',
    );
  }
  const soak = soakSection(report.results.soak);
  if (soak) out.push(soak);
  if (profile?.mainThread) {
    out.push('## Profile of scenario 1 (main thread of the process running worker + API + consumers)', '');
    out.push(
      `C=${profile.concurrency}, ${profile.orders} orders, our side only, in a child process profiled with V8's sampling profiler (as \`node --cpu-prof\`), from after start-up to the end of the load. ${profile.run ? `That run: ${f(profile.run.perSecond, 2)} sagas/s; ${cpuLine(profile.run.cpu)}.` : ''}`,
      '',
    );
    out.push('Self time by where the code lives:', '');
    out.push(
      table(
        ['code', 'ms', 'share'],
        profile.mainThread.byCategory.map((c: any) => [c.category, c.ms, `${c.share}%`]),
      ),
      '',
    );
    out.push('Time by the nearest caller of ours on the stack (what our code caused, library callees included):', '');
    out.push(
      table(
        ['caller', 'ms', 'share'],
        profile.mainThread.byOurCaller.map((c: any) => [c.caller, c.ms, `${c.share}%`]),
      ),
      '',
    );
    out.push('Hottest functions (self time):', '');
    out.push(
      table(
        ['function', 'code', 'ms', 'share'],
        profile.mainThread.topFunctions.slice(0, 12).map((c: any) => [`\`${c.fn}\``, c.where, c.ms, `${c.share}%`]),
      ),
      '',
    );
    const share = (category: string) =>
      profile.mainThread.byCategory.find((c: any) => c.category === category)?.share ?? 0;
    const ours = profile.mainThread.byCategory
      .filter((c: any) => String(c.category).startsWith('ours '))
      .reduce((sum: number, c: any) => sum + c.share, 0);
    out.push(
      `Reading it: \`(native)\` is native code called from JavaScript (the Temporal SDK's Rust core through its bridge, socket reads and writes); \`(idle)\` is the main thread waiting, ${share('(idle)')}% of the samples. The MongoDB driver and BSON (${f(share('npm mongodb') + share('npm bson'), 1)}%) encode commands and decode answers for the activities, the API and the consumers. JavaScript of ours is ${f(ours, 1)}% of the self time. Throughput is bound by the ${m.cores} cores the three processes share (see "Where the time goes"), not by this thread.`,
      '',
    );
    if (profile.run?.cpu?.processes?.[0]?.threads) {
      out.push('Threads of the profiled process (CPU seconds during the load):', '');
      out.push(
        table(
          ['thread', 'CPU s'],
          profile.run.cpu.processes[0].threads.map((t: any) => [t.name, t.cpuSeconds]),
        ),
        '',
      );
    }
  }
  out.push(fixes(report));
  return out.join('\n');
}

function whereTimeGoes(report: Report): string {
  const saga = report.results.saga;
  const top = saga.levels.at(-1);
  const lines: string[] = ['### Where the time goes', ''];
  if (top) {
    const procs = top.ours.cpu.processes as CpuReport['processes'];
    lines.push(
      `At C=${top.concurrency} (ours), average cores busy per process over the run: ${procs.map((p) => `**${p.name}** ${f(p.avgCores, 2)}`).join(', ')}; the whole machine ${f(top.ours.cpu.machineBusyCores, 2)} of ${report.machine.cores} cores (other tenants of the machine included). For the baseline at the same C: ${cpuLine(top.baseline.cpu)}.`,
      '',
    );
    const threads = procs[0]?.threads;
    if (threads?.length)
      lines.push(
        `Threads of the bench process during ours: ${threads.map((t) => `${t.name} ${t.cpuSeconds} s`).join(', ')} (\`node (main thread)\` is JavaScript: API, activities, projector, workflow activations; \`tokio-runtime-w\` is the SDK's Rust core; \`node\` threads are libuv/V8 helpers such as GC).`,
        '',
      );
  }
  if (saga.idle) {
    const i = saga.idle;
    const mongo = (c: CpuReport) => c.processes.find((p) => p.name.startsWith('MongoDB'))?.avgCores;
    lines.push(
      `Idle (no load at all, after the run): the MongoDB server uses ${f(mongo(i.withConsumers), 2)} cores while our consumers are running and ${f(mongo(i.withoutConsumers), 2)} when they are stopped. ${readSideIdle(i.withConsumers, i.withoutConsumers)}`,
      '',
    );
  }
  lines.push(limits(report));
  return lines.join('\n');
}

/** What our read side (its own processes in the split stack, else the one bench process) burns idle, with and without its consumers. */
function readSideIdle(withConsumers: CpuReport, withoutConsumers: CpuReport): string {
  const readSides = (c: CpuReport) => c.processes.filter((p) => p.name.startsWith('readside'));
  const cores = (ps: CpuReport['processes']) => ps.reduce((n, p) => n + p.avgCores, 0);
  if (readSides(withConsumers).length)
    return `Our read-side process: ${f(cores(readSides(withConsumers)), 2)} vs ${f(cores(readSides(withoutConsumers)), 2)} cores.`;
  return `The bench process: ${f(withConsumers.processes[0]?.avgCores, 2)} vs ${f(withoutConsumers.processes[0]?.avgCores, 2)} cores.`;
}

/** The per-step row of one side at C=1 (read from the histories), if this run has it. */
function step(
  saga: any,
  side: 'ours' | 'baseline',
  name: string,
): { waitMs: number; workMs: number; count: number } | undefined {
  return (saga?.steps ?? []).find((r: any) => r.side === side && r.step === name);
}

/** Why the saga costs what it does here; every figure in it is this run's (earlier runs' are in docs/performance.md and docs/performance-history.md). */
function limits(report: Report): string {
  const saga = report.results.saga;
  const c1 = (saga?.levels ?? []).find((l: any) => l.concurrency === 1);
  const task = step(saga, 'baseline', 'workflow task');
  const measured: string[] = [];
  if (task)
    measured.push(
      `the no-op workflow's workflow tasks waited ${f(task.waitMs, 1)} ms (p50 of ${task.count}) before a worker picked them up`,
    );
  if (c1?.baseline.latencyMs.p10)
    measured.push(
      `its p50 was ${f(c1.baseline.latencyMs.p50, 0)} ms, ${f(ratio(c1.baseline.latencyMs.p50, c1.baseline.latencyMs.p10), 2)}× its own p10 of ${f(c1.baseline.latencyMs.p10, 0)} ms`,
    );
  const inThisRun = measured.length
    ? ` In this run ${measured.join('; ')}.`
    : ' This run has no C=1 figures of the no-op workflow to show its effect.';
  return `**What limits saga throughput and latency on this machine.** ${report.machine.cores} cores are shared by the Temporal dev server, the MongoDB server, the Node processes of the worker, the API and the read side, and the load generator. The baseline shows what Temporal alone costs: with no-op activities its latency is set by workflow-task round trips (the per-step table above), and its throughput grows with C until the cores are busy. Ours adds, per order, the event appends and state-document writes of its five activities, an account rehydration, the placing Update, and the projector's work (four projections and the email subscription); the per-step table shows which activities take the time. On the MongoDB stand-in (mongo-java-server) two of its properties remain, which a replica set does not have:

1. *Only exact matches use indexes.* A query uses an index only if it fixes the index's keys (the launcher narrows by them when the query says more); ranges and prefixes of compound indexes scan the collection. The platform's hot queries are shaped for it (eventstore/server-seam.ts).
2. *One lock per database* for writes, so the Java side is close to single-threaded under write load; MongoDB's WiredTiger locks per document.

Its change streams do not spin: the launcher holds an empty poll open until a write arrives, as a replica set does.

**The dev server's task dispatch.** Temporal's history service loads new tasks for matching through a per-shard reader capped at \`history.transferProcessorMaxPollRPS\` (default 20), and every workflow task, and every activity task that does not go out eagerly, waits for it. The platform raises the cap (servers/temporal-dynamic-config.ts; docker/temporal/dynamic-config.yaml for docker-compose).${inThisRun}`;
}

function fixes(report: Report): string {
  const idle = report.results.saga?.idle;
  const mongo = (c: CpuReport | undefined) => c?.processes.find((p) => p.name.startsWith('MongoDB'))?.avgCores;
  const idleReading = idle
    ? ` In this run the idle MongoDB server used ${f(mongo(idle.withConsumers), 2)} cores with the consumers running and ${f(mongo(idle.withoutConsumers), 2)} without them.`
    : '';
  return `## Fixes made after profiling, and what is left

Applied (what each did when it was made is in docs/performance-history.md):

1. **One change stream per process** (readside/engine/log-watcher.ts), pulled with \`tryNext\` (the server holds an empty poll open; where it does not, a 5 ms pause), and no lost wake-ups in the subscription loop (a notice that arrives while a batch is read is kept).${idleReading}
2. **The orders projection updates by \`_id\` alone** (its updates are idempotent by themselves); the counters (\`$inc\` in sales, inventory, accounts) keep a per-document window of applied positions (readside/projections/types.ts).
3. **Reads by \`_id\`**: \`GET /orders/:id\` and the projection state are read by \`_id\` and checked in code; fault checks cost one read by \`_id\`.
4. **Indexes on \`{ _id, status }\`** for the services' conditional updates (payments, shipments, orders), which the stand-in otherwise serves by scanning.
5. **Event store lookups the stand-in can serve from indexes** (see "Event store query fixes").

Left as they are, with the reason:

- **What a read model costs beyond a bare \`watch()\`.** A projection takes the events its change stream delivered when they continue exactly where it stands, and reads the log by position otherwise (a hole, a restart far behind), so it never skips an event that commits out of position order; then one bulk write per batch to its read model and the checkpoint, round trips a bare \`watch()\` does not make. The stand-in serves one write at a time per database; on a real replica set these are concurrent operations.
- **Worker tuning for a small box** (\`maxConcurrentActivityTaskExecutions\` and friends) is left at the SDK's defaults, the same for ours and the baseline.
`;
}
