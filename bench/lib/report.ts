import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface GoalRow {
  scenario: string;
  metric: string;
  ours: string;
  baseline: string;
  ratio: number | null;
  goal: string;
  /** true / false, or null when there is no goal or no number to judge. */
  met: boolean | null;
}

/** `complete`: every scenario ran, so the result may become latest.* (which docs/performance.md shows). */
export function writeResults(
  dir: string,
  stem: string,
  json: unknown,
  markdown: string,
  svg: string,
  complete = true,
): string[] {
  mkdirSync(dir, { recursive: true });
  const files = [
    [`${stem}.json`, `${JSON.stringify(json, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`],
    [`${stem}.md`, markdown],
    [`${stem}.svg`, svg],
  ] as const;
  for (const [name, content] of files) writeFileSync(path.join(dir, name), content);
  if (complete)
    for (const ext of ['json', 'md', 'svg'])
      copyFileSync(path.join(dir, `${stem}.${ext}`), path.join(dir, `latest.${ext}`));
  return files.map(([name]) => path.join(dir, name));
}

/** A Markdown table from rows of cells. */
export function table(header: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cell = (v: string | number | null | undefined) =>
    v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? '–' : String(v);
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

export const verdict = (met: boolean | null) => (met === null ? '–' : met ? 'met' : 'NOT met');

/**
 * One horizontal bar per ratio (ours / baseline, higher is better for every row drawn), a line at
 * 1.0 (parity) and a tick where the goal is. Plain SVG, no script, readable in any browser.
 */
export function ratioChart(
  title: string,
  subtitle: string,
  bars: Array<{ label: string; value: number | null; goal?: number; note?: string }>,
): string {
  const width = 900;
  const left = 330;
  const barH = 22;
  const gap = 10;
  const top = 70;
  const max =
    Math.max(
      2,
      ...bars.map((b) => (b.value && Number.isFinite(b.value) ? b.value : 0)),
      ...bars.map((b) => b.goal ?? 0),
    ) * 1.1;
  const plotW = width - left - 120;
  const x = (v: number) => left + (Math.min(v, max) / max) * plotW;
  const height = top + bars.length * (barH + gap) + 60;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
  );
  parts.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  parts.push(`<text x="20" y="28" font-size="18" font-weight="bold">${esc(title)}</text>`);
  parts.push(`<text x="20" y="50" fill="#555">${esc(subtitle)}</text>`);
  for (let t = 0; t <= max; t += max > 6 ? 1 : 0.5) {
    parts.push(`<line x1="${x(t)}" y1="${top - 8}" x2="${x(t)}" y2="${height - 45}" stroke="#eee"/>`);
    parts.push(`<text x="${x(t)}" y="${height - 30}" text-anchor="middle" fill="#777">${t}</text>`);
  }
  bars.forEach((b, i) => {
    const y = top + i * (barH + gap);
    parts.push(`<text x="${left - 10}" y="${y + barH / 2 + 4}" text-anchor="end">${esc(b.label)}</text>`);
    if (b.value === null || !Number.isFinite(b.value)) {
      parts.push(
        `<text x="${left + 6}" y="${y + barH / 2 + 4}" fill="#a00">${esc(b.note ?? 'no number (see report)')}</text>`,
      );
      return;
    }
    const met = b.goal === undefined ? null : b.value >= b.goal;
    const color = met === null ? '#4a78b5' : met ? '#3c9a5f' : '#d0623c';
    parts.push(
      `<rect x="${left}" y="${y}" width="${Math.max(1, x(b.value) - left)}" height="${barH}" fill="${color}"/>`,
    );
    parts.push(
      `<text x="${x(b.value) + 6}" y="${y + barH / 2 + 4}">${b.value.toFixed(2)}${b.note ? ` ${esc(b.note)}` : ''}</text>`,
    );
    if (b.goal !== undefined)
      parts.push(
        `<line x1="${x(b.goal)}" y1="${y - 3}" x2="${x(b.goal)}" y2="${y + barH + 3}" stroke="#000" stroke-width="2" stroke-dasharray="3,2"/>`,
      );
  });
  parts.push(`<line x1="${x(1)}" y1="${top - 8}" x2="${x(1)}" y2="${height - 45}" stroke="#333" stroke-width="1.5"/>`);
  parts.push(
    `<text x="20" y="${height - 10}" fill="#555">bar = ours / baseline (higher is better; latency rows are inverted to baseline / ours). Dashed tick = goal; green = goal met, orange = not met, blue = no goal.</text>`,
  );
  parts.push(`</svg>\n`);
  return parts.join('\n');
}
