/**
 * The report's comparison with the minimal durable saga (bench/minimal/) and the work per saga of
 * every side: CPU per process kind, MongoDB commands per process and step, bytes written.
 */
import { commandRows, processTotal, type CommandRow, type LevelCommands } from './command-count';
import { table, type GoalRow } from './report';
import { PROCESS_KINDS, type CpuPerSaga, type Side } from './work';
import { ratio } from './util';

/** The goals against the minimal durable saga. */
export const MINIMAL_GOALS = { p50AtC1: 1.5, throughput: 0.7, throughputLevels: [16, 64], cpuPerSaga: 1.5 } as const;

interface SideFigures {
  perSecond: number;
  latencyMs: { p50: number; p99: number };
  /** When its orders became readable, watched the same way on both sides (absent on the no-op side). */
  readModelMs?: { p50: number; p99: number };
}

interface SideWork {
  sagas: number;
  cpu: CpuPerSaga;
  commands: LevelCommands;
  bytesPerSaga: Record<'events' | 'read models' | 'other', number>;
}

export interface LevelAgainstMinimal {
  concurrency: number;
  ours: SideFigures;
  baseline: SideFigures;
  minimal?: SideFigures;
  throughputRatio: number;
  p50Ratio: number;
  minimalRatios?: { throughput: number; p50: number; p99: number };
  work?: Partial<Record<Side, SideWork>>;
  /** The bench's GET /orders/:id for each of our orders, made outside the rounds' windows. */
  apiCheck?: { gets: number; cpuPerGet: CpuPerSaga; commandsPerGet: Record<string, number> };
}

const f = (x: unknown, digits = 1) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '–');
const judged = (value: number, ok: (x: number) => boolean) => (Number.isFinite(value) ? ok(value) : null);

/** Ours' CPU ms per saga (all processes together) over the minimal saga's. */
export const cpuRatio = (level: LevelAgainstMinimal): number =>
  ratio(level.work?.ours?.cpu.total ?? NaN, level.work?.minimal?.cpu.total ?? NaN);

/** The goal rows: p50 at C=1, throughput at C=16 and C=64, CPU per saga at every level, each against the minimal saga. */
export function minimalGoals(levels: LevelAgainstMinimal[]): GoalRow[] {
  const rows: GoalRow[] = [];
  for (const l of levels) {
    if (!l.minimal || !l.minimalRatios) continue;
    if (l.concurrency === 1) {
      rows.push({
        scenario: '1 saga vs minimal',
        metric: 'latency p50 ms at C=1',
        ours: f(l.ours.latencyMs.p50, 0),
        baseline: f(l.minimal.latencyMs.p50, 0),
        ratio: l.minimalRatios.p50,
        goal: `<= ${MINIMAL_GOALS.p50AtC1}x`,
        met: judged(l.minimalRatios.p50, (x) => x <= MINIMAL_GOALS.p50AtC1),
      });
    }
    if ((MINIMAL_GOALS.throughputLevels as readonly number[]).includes(l.concurrency)) {
      rows.push({
        scenario: '1 saga vs minimal',
        metric: `completed sagas/s at C=${l.concurrency}`,
        ours: f(l.ours.perSecond, 2),
        baseline: f(l.minimal.perSecond, 2),
        ratio: l.minimalRatios.throughput,
        goal: `>= ${MINIMAL_GOALS.throughput}`,
        met: judged(l.minimalRatios.throughput, (x) => x >= MINIMAL_GOALS.throughput),
      });
    }
    const cpu = cpuRatio(l);
    if (l.work?.ours && l.work.minimal) {
      rows.push({
        scenario: '1 saga vs minimal',
        metric: `CPU ms per saga, all processes (the MongoDB stand-in's JIT apart), at C=${l.concurrency}`,
        ours: f(l.work.ours.cpu.total, 1),
        baseline: f(l.work.minimal.cpu.total, 1),
        ratio: cpu,
        goal: `<= ${MINIMAL_GOALS.cpuPerSaga}x`,
        met: judged(cpu, (x) => x <= MINIMAL_GOALS.cpuPerSaga),
      });
    }
  }
  return rows;
}

const SIDES: Array<[Side, string]> = [
  ['ours', 'ours'],
  ['minimal', 'minimal durable saga'],
  ['noop', 'no-op workflow'],
];

const rowsOf = (side: Side, level: LevelAgainstMinimal, commands: LevelCommands): CommandRow[] =>
  commandRows(commands, { groupCommitShared: side === 'ours' && level.concurrency > 1 });

/** The section; empty when the run had no minimal saga. */
export function minimalSection(levels: LevelAgainstMinimal[]): string {
  const withMinimal = levels.filter((l) => l.minimal);
  if (withMinimal.length === 0) return '';
  const out: string[] = ['### Against a minimal durable saga', ''];
  out.push(
    [
      'The minimal durable saga (bench/minimal/) is the same five steps as a Temporal workflow whose activities each do exactly one `insertOne` of their event into a plain collection on the same MongoDB server (no reads, no idempotency), plus one bare change-stream watcher that upserts one read-model document per event.',
      "It runs in the same rounds as ours and the no-op workflow, which stays as Temporal's floor. Each side's worker, API and read side are processes of their own, so each has its own CPU figure; a side's readers run only during its own rounds.",
      "Both sides' orders are watched for readability the same way during their own rounds: one batched read of the read-model collection every 10 ms. A client's read of its order is not saga work: once a round's window has closed, the bench checks that `GET /orders/:id` answers `COMPLETED` for each of our orders, and lists what those reads cost below the work per saga.",
    ].join(' '),
    '',
  );
  out.push(
    table(
      [
        'C',
        'ours / minimal / no-op sagas/s',
        'throughput: ours ÷ minimal',
        'ours ÷ no-op',
        'p50 ms ours / minimal / no-op',
        'p50: ours ÷ minimal',
        'ours ÷ no-op',
        'p99 ms ours / minimal',
        'readable p50 / p99 ms ours · minimal',
      ],
      withMinimal.map((l) => [
        l.concurrency,
        `${f(l.ours.perSecond, 2)} / ${f(l.minimal!.perSecond, 2)} / ${f(l.baseline.perSecond, 2)}`,
        f(l.minimalRatios?.throughput, 2),
        f(l.throughputRatio, 2),
        `${f(l.ours.latencyMs.p50, 0)} / ${f(l.minimal!.latencyMs.p50, 0)} / ${f(l.baseline.latencyMs.p50, 0)}`,
        f(l.minimalRatios?.p50, 2),
        f(l.p50Ratio, 2),
        `${f(l.ours.latencyMs.p99, 0)} / ${f(l.minimal!.latencyMs.p99, 0)}`,
        `${f(l.ours.readModelMs?.p50, 0)} / ${f(l.ours.readModelMs?.p99, 0)} · ${f(l.minimal!.readModelMs?.p50, 0)} / ${f(l.minimal!.readModelMs?.p99, 0)}`,
      ]),
    ),
    '',
  );
  out.push(workSection(levels));
  return out.join('\n');
}

/** Work per saga of every side at every level: CPU ms by process kind, commands by process, bytes written. */
export function workSection(levels: LevelAgainstMinimal[]): string {
  const withWork = levels.filter((l) => l.work);
  if (withWork.length === 0) return '';
  const out: string[] = ['### Work per saga', ''];
  out.push(
    [
      "CPU: each process's CPU time (/proc) over a side's rounds, each round until its read models were written, summed over the rounds and divided by the sagas they completed.",
      'The servers are shared: a side is charged for what Temporal and MongoDB did while its own rounds ran. "All" is the system\'s processes together; the load generator (the bench process: HTTP client, Temporal client, polling) drives every side and is shown apart, and so are the MongoDB stand-in\'s JIT compiler threads (below the table).',
      "Commands: the driver's command monitor on each process's own client. Bytes: BSON sizes of inserted documents and of update specifications, by what they write: the event log, read models (everything the read side writes, checkpoints included), other (services' state documents, idempotency records).",
    ].join(' '),
    '',
  );
  const rows: Array<Array<string | number>> = [];
  for (const l of withWork) {
    for (const [side, label] of SIDES) {
      const w = l.work![side];
      if (!w) continue;
      const commands = rowsOf(side, l, w.commands);
      rows.push([
        l.concurrency,
        label,
        w.sagas,
        ...PROCESS_KINDS.map((k) => f(w.cpu.byKind[k], 1)),
        `**${f(w.cpu.total, 1)}**`,
        f(w.cpu.loadGenerator, 1),
        `${f(processTotal(commands, 'worker'), 2)} / ${f(processTotal(commands, 'api'), 2)} / ${f(processTotal(commands, 'read side'), 2)}`,
        `${w.bytesPerSaga.events} / ${w.bytesPerSaga['read models']} / ${w.bytesPerSaga.other}`,
      ]);
    }
    const cpu = cpuRatio(l);
    if (Number.isFinite(cpu))
      rows.push([
        l.concurrency,
        `ours ÷ minimal (goal ≤ ${MINIMAL_GOALS.cpuPerSaga}×)`,
        '',
        '',
        '',
        '',
        '',
        '',
        `**${f(cpu, 2)}**`,
        '',
        '',
        '',
      ]);
  }
  out.push(
    table(
      [
        'C',
        'side',
        'sagas',
        ...PROCESS_KINDS.map((k) => (k === 'MongoDB' ? 'CPU ms: MongoDB (its JIT apart)' : `CPU ms: ${k}`)),
        'CPU ms: all',
        'load generator',
        'MongoDB commands: worker / API / read side',
        'bytes written: events / read models / other',
      ],
      rows,
    ),
    '',
  );
  const apart = apartNotes(withWork);
  if (apart) out.push(apart, '');
  // Per step, one saga at a time (exact), for both sides that talk to MongoDB.
  const c1 = withWork.find((l) => l.concurrency === 1) ?? withWork[0]!;
  const stepRows: Array<Array<string | number>> = [];
  for (const [side, label] of SIDES) {
    const w = c1.work![side];
    if (!w) continue;
    const commands = rowsOf(side, c1, w.commands);
    if (commands.length === 0) stepRows.push([label, '(none: no MongoDB client)', 0, '']);
    for (const r of commands)
      stepRows.push([
        label,
        r.process === 'worker' ? r.step : `${r.process} (the whole process)`,
        f(r.perSaga, 2),
        `${f(r.reads, 2)} / ${f(r.writes, 2)} / ${f(r.other, 2)}`,
      ]);
  }
  out.push(
    `MongoDB commands per saga by step and process at C=${c1.concurrency}:`,
    '',
    table(['side', 'step or process', 'commands per saga', 'reads / writes / other'], stepRows),
    '',
  );
  return out.join('\n');
}

/** What the CPU figures above leave out or contain that is not the sagas' own, level by level. */
function apartNotes(levels: LevelAgainstMinimal[]): string {
  const notes: string[] = [];
  const checked = levels.filter((l) => l.apiCheck && l.apiCheck.gets > 0);
  if (checked.length > 0)
    notes.push(
      `Not in the figures above: the bench's \`GET /orders/:id\` for each of our orders, made after each round's window. Per GET: ${checked
        .map((l) => {
          const c = l.apiCheck!;
          return `C=${l.concurrency} (${c.gets} GETs) API ${f(c.cpuPerGet.byKind.API, 1)} ms and MongoDB ${f(c.cpuPerGet.byKind.MongoDB, 1)} ms of CPU, ${f(c.commandsPerGet.api, 2)} API commands`;
        })
        .join('; ')}.`,
    );
  const jit = levels.filter((l) => SIDES.some(([side]) => (l.work?.[side]?.cpu.mongoJit ?? 0) > 0));
  if (jit.length > 0)
    notes.push(
      `Held apart, in neither the MongoDB figures nor "all": the stand-in's JIT compiler threads, which the warm-up does not quiet and which compile whatever reaches the JVM's thresholds during a round, whichever side's it is (a MongoDB server compiles nothing at run time). CPU ms per saga (${SIDES.map(([, label]) => label).join(' / ')}): ${jit
        .map((l) => `C=${l.concurrency} ${SIDES.map(([side]) => f(l.work?.[side]?.cpu.mongoJit, 1)).join(' / ')}`)
        .join('; ')}.`,
    );
  return notes.join(' ');
}
