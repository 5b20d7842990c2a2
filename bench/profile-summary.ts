/**
 * `node dist/bench/profile-summary.js FILE.cpuprofile... [N] [FOCUS]`: the
 * functions with the most self time in the profiles written by `npm run bench
 * -- --profile DIR`, the time per source file, and, for functions whose
 * file contains FOCUS (default `dist/server`), their inclusive time (self
 * plus callees), so a miss in the table can be traced to code without
 * opening DevTools.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string): string {
  const match = /\/(dist|node_modules)\/(.*)$/.exec(url);
  if (match) return `${match[1]}/${match[2]}`;
  return url.replace(/^file:\/\//, '') || '(native)';
}

/** Profiles side by side as one: node ids are renumbered so each keeps its own tree. */
function mergeProfiles(profiles: CpuProfile[]): CpuProfile {
  if (profiles.length === 1) return profiles[0]!;
  const merged: CpuProfile = { nodes: [], samples: [], timeDeltas: [] };
  let base = 0;
  for (const profile of profiles) {
    let highest = 0;
    for (const node of profile.nodes) {
      highest = Math.max(highest, node.id);
      merged.nodes.push({ ...node, id: node.id + base, ...(node.children ? { children: node.children.map((id) => id + base) } : {}) });
    }
    for (const id of profile.samples) merged.samples.push(id + base);
    merged.timeDeltas.push(...profile.timeDeltas);
    base += highest + 1;
  }
  return merged;
}

export function summarizeProfile(profile: CpuProfile, top: number, focus = 'dist/server'): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const file = shortUrl(frame.url);
    const name = `${frame.functionName || '(anonymous)'}  ${file}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  const lines: string[] = [`total sampled: ${(total / 1000).toFixed(0)} ms`, '', 'self time by function:'];
  const pct = (us: number): string => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
  for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)}  ${name}`);
  lines.push('', 'self time by file:');
  for (const [file, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)}  ${file}`);

  // Inclusive time: a node's self time plus its subtree's; recursion counted once per path.
  const inclusive = new Map<number, number>();
  const visit = (id: number): number => {
    const node = byId.get(id);
    let sum = selfUs.get(id) ?? 0;
    for (const child of node?.children ?? []) sum += visit(child);
    inclusive.set(id, sum);
    return sum;
  };
  const childIds = new Set(profile.nodes.flatMap((node) => node.children ?? []));
  for (const node of profile.nodes) if (!childIds.has(node.id)) visit(node.id);
  const byFocus = new Map<string, number>();
  const onStack = new Set<string>();
  const collect = (id: number): void => {
    const node = byId.get(id);
    if (!node) return;
    const frame = node.callFrame;
    const name = `${frame.functionName || '(anonymous)'}  ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    const counted = frame.url.includes(focus) && !onStack.has(name);
    if (counted) {
      byFocus.set(name, (byFocus.get(name) ?? 0) + (inclusive.get(id) ?? 0));
      onStack.add(name);
    }
    for (const child of node.children ?? []) collect(child);
    if (counted) onStack.delete(name);
  };
  for (const node of profile.nodes) if (!childIds.has(node.id)) collect(node.id);
  lines.push('', `inclusive time of functions in ${focus}:`);
  for (const [name, us] of [...byFocus].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)}  ${name}`);
  return lines.join('\n');
}

// Several profiles (a glob over --repeat runs) are summed: one table for all of them.
const args = process.argv.slice(2);
const files = args.filter((arg) => arg.endsWith('.cpuprofile'));
const [count, focus] = args.filter((arg) => !arg.endsWith('.cpuprofile'));
if (files.length > 0) {
  console.log(
    summarizeProfile(mergeProfiles(files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as CpuProfile)), Number(count ?? 25), focus),
  );
} else {
  console.error('usage: node dist/bench/profile-summary.js FILE.cpuprofile... [N] [FOCUS]');
  process.exit(2);
}
