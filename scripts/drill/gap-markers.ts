import { GAP_CAUSES, GAP_TYPE, type GapCause, type GapData } from '../../eventstore';

/** Gap markers of a drill's log, counted by what burned or sealed the position, and per 1,000 events. */
export interface GapMarkerFigures {
  total: number;
  events: number;
  per1000Events: number;
  /** Markers written before causes were recorded count as `unknown`. */
  byCause: Record<GapCause | 'unknown', number>;
  per1000EventsByCause: Record<GapCause | 'unknown', number>;
}

const per1000 = (n: number, events: number) => (events === 0 ? 0 : Math.round((n * 10_000) / events) / 10);

export function gapMarkerFigures(log: Array<{ type: string; data: unknown }>): GapMarkerFigures {
  const byCause = Object.fromEntries([...GAP_CAUSES, 'unknown'].map((c) => [c, 0])) as GapMarkerFigures['byCause'];
  let total = 0;
  for (const doc of log) {
    if (doc.type !== GAP_TYPE) continue;
    total++;
    const data = doc.data as Partial<GapData> | null;
    const cause =
      data?.cause && (GAP_CAUSES as readonly string[]).includes(data.cause)
        ? data.cause
        : data?.reason === 'sealed'
          ? 'crash'
          : 'unknown';
    byCause[cause]++;
  }
  const events = log.length - total;
  const per1000EventsByCause = Object.fromEntries(
    Object.entries(byCause).map(([c, n]) => [c, per1000(n, events)]),
  ) as GapMarkerFigures['per1000EventsByCause'];
  return { total, events, per1000Events: per1000(total, events), byCause, per1000EventsByCause };
}

/** One line for the drill's printed report: the total and every cause that occurred. */
export function describeGapMarkers(f: GapMarkerFigures): string {
  const causes = Object.entries(f.byCause)
    .filter(([, n]) => n > 0)
    .map(([c, n]) => `${c} ${n} (${f.per1000EventsByCause[c as GapCause]})`);
  return `${f.total} per ${f.events} events = ${f.per1000Events} per 1,000${causes.length ? `; by cause (per 1,000): ${causes.join(', ')}` : ''}`;
}
