/**
 * The `websock serve` command (the default one) of the `websock` program,
 * which clients/cli/websock.ts assembles with the client commands.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, CommanderError } from 'commander';
import { findPackageRoot } from './config/default-ini-file.js';
import { EXIT_BAD_CONFIG, serve } from './serve-command.js';
import type { ServeFlags } from './serve-command.js';

const SERVE_EXAMPLES = `
Examples:
  $ websock serve                                  # websock.ini from this folder (or the package's), else defaults
  $ websock serve -i /etc/websock-relay/websock.ini
  $ websock serve --adress ws://0.0.0.0:8080 --console --log-level debug
  $ websock serve --adress wss://0.0.0.0:443 -i prod.ini --logfile /var/log/websock.log
  $ websock -i websock.ini -adress ws://127.0.0.1:8096 -console   # the PHP server's spelling works too

Flags override websock.ini, which overrides the built-in defaults.
Every websock.ini key is described in docs/configuration.md.
Exit codes: 0 stopped cleanly, 1 cannot listen or failed, 2 bad configuration or usage.`;

/** The package's version from its package.json ('0.0.0' when none is found). */
export function packageVersion(): string {
  const root = findPackageRoot(import.meta.url);
  if (root === undefined) return '0.0.0';
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Adds `serve` (the default command: run the relay) to the `websock` program. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve', { isDefault: true })
    .description('run the relay (the default command)')
    .version(packageVersion(), '-V, --version', 'output the version number')
    .option('-i, --ini <file>', 'websock.ini to read (default: ./websock.ini, else the one shipped with the package)')
    .option('--adress <url>', 'where to listen: ws://, wss://, tcp:// or ssl://HOST:PORT (the original spelling)')
    .option('--address <url>', 'same as --adress')
    .option('--logfile <path>', 'write the log to this file (rotated by size)')
    .option('--console [on|off]', 'log to the console too')
    .option('--log-level <level>', 'debug, info, warn or error')
    .option('--broker <url>', 'redis://[user:pass@]host:port[/db] (rediss:// for TLS): several relays act as one (needs a secret)')
    .addHelpText('after', SERVE_EXAMPLES)
    // A bad flag is a usage error like a bad value: exit 2, as the help says
    // (commander's own is 1). Help and version still exit 0.
    .exitOverride(function serveOnUsageError(error: CommanderError) {
      process.exit(error.exitCode === 0 ? 0 : EXIT_BAD_CONFIG);
    })
    .action(async function serveAction(flags: ServeFlags) {
      await serve(flags);
    });
}
