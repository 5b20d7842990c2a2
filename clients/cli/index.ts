import type { Command } from 'commander';

/** Adds the client subcommands (send, listen) to the `websock` program. */
export function registerClientCommands(_program: Command): void {
  // Filled in by the clients work.
}
