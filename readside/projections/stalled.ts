import type { ProjectionStatus } from './status';

/** A stalled projection as the health endpoints name it (API read side, projector). */
export interface StalledProjection {
  name: string;
  lagEvents: number;
  lagMs: number;
  /** When the systemic failure began, or the last progress before it stopped moving. */
  since: Date | null;
  lastError: string | null;
}

export function stalledProjections(rows: ProjectionStatus[]): StalledProjection[] {
  return rows
    .filter((r) => r.state === 'stalled')
    .map((r) => ({
      name: r.name,
      lagEvents: r.lagEvents,
      lagMs: r.lagMs,
      since: r.stalledSince ?? r.progressAt,
      lastError: r.lastError,
    }));
}
