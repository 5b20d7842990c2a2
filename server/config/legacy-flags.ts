/**
 * The original is started as `php runSocketServer.php -i websock.ini -adress
 * ws://... -logfile x -console`: long options with one dash. Its users keep
 * typing them, so they are rewritten to the `--` form before commander,
 * which would read `-adress` as `-a -d -r ...`, sees the arguments.
 */

/** Single-dash spelling → the flag `websock serve` defines. */
const LEGACY_TO_FLAG: Record<string, string> = {
  '-i': '-i',
  '-ini': '--ini',
  '-adress': '--adress',
  '-address': '--address',
  '-logfile': '--logfile',
  '-console': '--console',
  '-log-level': '--log-level',
  '-logLevel': '--log-level',
  '-loglevel': '--log-level',
};

/**
 * Rewrite the original's single-dash long flags for the serve command.
 * `args` excludes node and the script (process.argv.slice(2)). Other
 * subcommands (send, listen) are left alone: their flags are their own.
 * @example rewriteLegacyFlags(['serve', '-adress', 'ws://0.0.0.0:8080', '-console']) // ['serve', '--adress', 'ws://0.0.0.0:8080', '--console']
 */
export function rewriteLegacyFlags(args: readonly string[]): string[] {
  const first = args[0];
  // `websock -i x` (serve is the default command) or `websock serve ...`.
  if (first === undefined || (first !== 'serve' && !first.startsWith('-'))) return [...args];
  const out: string[] = [];
  let done = false;
  for (const arg of args) {
    if (done || arg === '--' || !arg.startsWith('-') || arg.startsWith('--')) {
      if (arg === '--') done = true;
      out.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const name = equals === -1 ? arg : arg.slice(0, equals);
    const flag = LEGACY_TO_FLAG[name];
    if (flag === undefined) out.push(arg);
    else if (equals === -1) out.push(flag);
    else out.push(flag, arg.slice(equals + 1)); // `-i=x` as two words: commander reads `-i=x` as "=x"
  }
  return out;
}
