/**
 * How amounts, ids, counts and durations are written in the step table's summaries (./steps.ts)
 * and the saga's Web UI story (workflows/story.ts).
 */
export const money = (cents: number) => `$${(cents / 100).toFixed(2)}`;
export const short = (id: string) => (id.length > 8 ? `${id.slice(0, 8)}…` : id);
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}
