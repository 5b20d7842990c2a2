/**
 * Reading what a built tree offers from its compiled files: the fields an
 * interface declares in a `.d.ts`, a string constant's value, and the IPC
 * requests a compiled bench server answers. Pure text functions, so a
 * baseline is judged without running any of its code.
 */

/**
 * The top-level fields of `interface name { … }` as tsc writes it in a
 * `.d.ts` (four-space indent per level), or null when the file does not
 * declare that interface. Fields of nested object types are not included.
 */
export function declaredFields(dts: string, name: string): string[] | null {
  const lines = dts.split('\n');
  const start = lines.findIndex((line) => new RegExp(`^(export )?(declare )?interface ${name}\\b.*\\{\\s*$`).test(line));
  if (start < 0) return null;
  const fields: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\}/.test(line)) return fields;
    const field = /^ {4}(?:readonly )?([A-Za-z_$][\w$]*)\??:/.exec(line);
    if (field) fields.push(field[1]!);
  }
  return null;
}

/** The value of `export declare const name = "…";` (tsc keeps a string literal's value in the type), or null. */
export function declaredStringConstant(dts: string, name: string): string | null {
  const match = new RegExp(`^export declare const ${name} = "((?:[^"\\\\]|\\\\.)*)";`, 'm').exec(dts);
  return match ? (JSON.parse(`"${match[1]!}"`) as string) : null;
}

/** Whether the `.d.ts` exports a constant of this name, whatever its type. */
export function declaresConstant(dts: string, name: string): boolean {
  return new RegExp(`^export declare const ${name}\\b`, 'm').test(dts);
}

/** The message types a compiled bench server switches on (`case 'stats':` …): the requests it answers. */
export function answeredRequests(js: string): string[] {
  return [...new Set([...js.matchAll(/\bcase ['"]([\w-]+)['"]:/g)].map((match) => match[1]!))];
}
