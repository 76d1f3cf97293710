/** Parses "250ms", "10s", "5m", "24h", "7d" or a bare number of milliseconds. */
export function parseDuration(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) return undefined;
  const factor = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(match[2] ?? 'ms') as 'ms'];
  const ms = Math.round(Number(match[1]) * factor);
  return Number.isSafeInteger(ms) && ms > 0 ? ms : undefined;
}
