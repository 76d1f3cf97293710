import { readFileSync } from 'node:fs';
import path from 'node:path';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const OURS = [
  'api',
  'activities',
  'eventstore',
  'consumers',
  'projections',
  'workers',
  'workflows',
  'domain',
  'infra',
  'bench',
  'config',
];

/** Where a frame's code lives: one of our folders, an npm package, Node itself, or V8's pseudo-frames. */
function categoryOf(url: string, fn: string, root: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  let file = url.replace(/^file:\/\//, '');
  if (file.startsWith('node:')) return 'node internals';
  const nm = file.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = file.slice(nm + 'node_modules/'.length).split('/');
    return `npm ${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (file.startsWith(root)) file = path.relative(root, file);
  const top = file.split('/')[0]!;
  if (OURS.includes(top)) return `ours ${top}/`;
  return file.includes('workflow-bundle') || /webpack/.test(file) ? 'workflow sandbox (bundle)' : 'other';
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time by where the code lives. */
  byCategory: Array<{ category: string; ms: number; share: number }>;
  /** Samples attributed to the nearest of our folders on the stack (what our code caused, callees included). */
  byOurCaller: Array<{ caller: string; ms: number; share: number }>;
  topFunctions: Array<{ fn: string; where: string; ms: number; share: number }>;
}

/** Reads a V8 .cpuprofile (node --cpu-prof) and says where the main thread's time went. */
export function summarizeProfile(file: string, root: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const total = [...self.values()].reduce((a, b) => a + b, 0);

  const cat = new Map<string, number>();
  const caller = new Map<string, number>();
  const fns = new Map<string, { where: string; ms: number }>();
  for (const [id, ms] of self) {
    const node = byId.get(id)!;
    const c = categoryOf(node.callFrame.url, node.callFrame.functionName, root);
    cat.set(c, (cat.get(c) ?? 0) + ms);
    let cur: number | undefined = id;
    let ours = c.startsWith('ours') ? c : undefined;
    while (!ours && cur !== undefined) {
      const n = byId.get(cur)!;
      const cc = categoryOf(n.callFrame.url, n.callFrame.functionName, root);
      if (cc.startsWith('ours')) ours = cc;
      cur = parent.get(cur);
    }
    const key = ours ?? (c.startsWith('(') ? c : `no caller of ours: ${c}`);
    caller.set(key, (caller.get(key) ?? 0) + ms);
    const file = node.callFrame.url ? path.relative(root, node.callFrame.url.replace(/^file:\/\//, '')) : '';
    const fk = `${node.callFrame.functionName || '(anonymous)'} ${file}:${node.callFrame.lineNumber + 1}`;
    const f = fns.get(fk) ?? { where: c, ms: 0 };
    f.ms += ms;
    fns.set(fk, f);
  }
  const share = (ms: number) => Math.round((ms / total) * 1000) / 10;
  const r = (x: number) => Math.round(x);
  return {
    totalMs: r(total),
    byCategory: [...cat.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 20)
      .map(([category, ms]) => ({ category, ms: r(ms), share: share(ms) })),
    byOurCaller: [...caller.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([c, ms]) => ({ caller: c, ms: r(ms), share: share(ms) })),
    topFunctions: [...fns.entries()]
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, 20)
      .map(([fn, f]) => ({ fn, where: f.where, ms: r(f.ms), share: share(f.ms) })),
  };
}
