#!/usr/bin/env node
/**
 * The `websock` program: `websock serve` runs the relay (server/serve-cli.ts),
 * `websock send` and `websock listen` are clients of one. This entry point is
 * the one place that puts the two sides together, so that the relay
 * (server/) never depends on its clients.
 */
import { Command } from 'commander';
import { rewriteLegacyFlags } from '../../server/config/legacy-flags.js';
import { packageVersion, registerServeCommand } from '../../server/serve-cli.js';
import { registerClientCommands } from './register-client-commands.js';

const program = new Command();
program
  .name('websock')
  .description('websock-relay: a WebSocket relay that lets backend jobs report progress to the browser page that started them')
  .version(packageVersion());
registerServeCommand(program);
registerClientCommands(program);

await program.parseAsync(rewriteLegacyFlags(process.argv.slice(2)), { from: 'user' });
