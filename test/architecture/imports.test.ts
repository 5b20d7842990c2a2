/**
 * The dependency rules of the source tree, read from the import statements
 * of every non-test module in server/, clients/ and include/:
 *
 * - include/ (the wire contract) imports nothing of ours;
 * - server/ never imports clients/ (the relay does not depend on its clients);
 * - clients/ imports no server/ module, except clients/cli/websock.ts, the
 *   `websock` program that puts `serve` beside `send` and `listen`;
 * - no import cycles.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers/build-once.js';

const TREES = ['server', 'clients', 'include'];
/** The one module allowed to join the relay and its clients. */
const COMPOSITION_ROOT = 'clients/cli/websock.ts';

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Relative imports (static, side-effect only, `export … from`, and `import()` of a literal) of `file`, as repository paths of .ts files. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const specifiers = [
    ...text.matchAll(/(?:^|\s)(?:import|export)\s[^;]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)|^import\s+'(\.[^']+)'/gm),
  ].map((match) => (match[1] ?? match[2] ?? match[3])!);
  return specifiers.map((specifier) => relative(root, resolve(root, dirname(file), specifier)).replace(/\.js$/, '.ts'));
}

const graph = new Map(TREES.flatMap(sourceFiles).map((file) => [file, importsOf(file)] as const));
const tree = (file: string): string => file.split('/')[0]!;

describe('source tree dependencies', () => {
  it('finds the modules and their imports', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get(COMPOSITION_ROOT)).toContain('server/serve-cli.ts');
    for (const [file, imports] of graph) {
      for (const target of imports) expect(graph.has(target) || !TREES.includes(tree(target)), `${file} → ${target}`).toBe(true);
    }
  });

  it('include/ imports nothing of ours, server/ never imports clients/, clients/ no server/ module', () => {
    const broken: string[] = [];
    for (const [file, imports] of graph) {
      for (const target of imports) {
        const from = tree(file);
        const to = tree(target);
        const allowed =
          from === to || (from !== 'include' && to === 'include') || (file === COMPOSITION_ROOT && to === 'server') || !TREES.includes(to);
        if (!allowed) broken.push(`${file} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('has no import cycles', () => {
    // Tarjan's strongly connected components: any component of more than one module is a cycle.
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    let counter = 0;
    const visit = (file: string): void => {
      index.set(file, counter);
      low.set(file, counter++);
      stack.push(file);
      onStack.add(file);
      for (const target of graph.get(file) ?? []) {
        if (!graph.has(target)) continue;
        if (!index.has(target)) {
          visit(target);
          low.set(file, Math.min(low.get(file)!, low.get(target)!));
        } else if (onStack.has(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
      if (low.get(file) === index.get(file)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== file);
        if (component.length > 1 || (graph.get(file) ?? []).includes(file)) cycles.push(component.sort());
      }
    };
    for (const file of graph.keys()) if (!index.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });
});
