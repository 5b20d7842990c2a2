import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** One fenced code block of a Markdown file, with the marker comment before it, if any. */
export interface DocBlock {
  /** Path from the repository root, e.g. `docs/clients.md`. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string's first word (`sh`, `json`, …), '' when there is none. */
  lang: string;
  /** The block's text, fence lines excluded, its indentation (a list item's) removed. */
  text: string;
  /** `<!-- not run: REASON -->` before the block: why it is not executed. */
  notRun: string | null;
  /** `<!-- tested: NAME … -->` before the block: the name a test runs it by. */
  tested: string | null;
}

/** The documents whose examples are tested: README.md, docs/*.md and php2php/README.md. */
export function documentedFiles(root: string): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => join(root, 'docs', name));
  return [join(root, 'README.md'), ...docs, join(root, 'php2php', 'README.md')];
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)?.*$/;
const MARKER = /^\s*<!--\s*(not run|tested)\s*:\s*([\s\S]*?)\s*-->\s*$/;

/**
 * Every fenced block of a Markdown file. A marker is the HTML comment on the
 * last non-blank line before the fence. Fences nest as CommonMark says: a
 * block ends at a fence of the same character at least as long.
 */
export function fencedBlocks(root: string, path: string): DocBlock[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, indent = '', fence = '', lang = ''] = open;
    let end = i + 1;
    while (end < lines.length) {
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(lines[end]!);
      if (close && close[1]![0] === fence[0] && close[1]!.length >= fence.length) break;
      end++;
    }
    const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()));
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const marker = before >= 0 ? MARKER.exec(lines[before]!) : null;
    blocks.push({
      file: relative(root, path),
      line: i + 1,
      lang: lang.toLowerCase(),
      text: body.join('\n') + '\n',
      notRun: marker?.[1] === 'not run' ? marker[2]! : null,
      tested: marker?.[1] === 'tested' ? marker[2]!.split(/\s/)[0]! : null,
    });
    i = end;
  }
  return blocks;
}

/** The one block among `blocks` marked `<!-- tested: NAME -->`; throws unless there is exactly one. */
export function blockNamed(blocks: readonly DocBlock[], name: string): DocBlock {
  const found = blocks.filter((b) => b.tested === name);
  if (found.length !== 1) throw new Error(`expected one block marked tested: ${name}, found ${found.length}`);
  return found[0]!;
}

/** The text of the block marked `<!-- tested: NAME -->` in the documented files (for the test that runs it). */
export function testedExample(root: string, name: string): string {
  return blockNamed(
    documentedFiles(root).flatMap((file) => fencedBlocks(root, file)),
    name,
  ).text;
}
