import type { Command } from 'commander';
import { registerListenCommand } from './listen-command.js';
import { registerSendCommand } from './send-command.js';

/** Adds the client subcommands (send, listen) to the `websock` program. */
export function registerClientCommands(program: Command): void {
  registerSendCommand(program);
  registerListenCommand(program);
}
