import type { Command } from 'commander';
import { ClientError, ClientErrorCode } from '../client-error.js';
import type { ReceivedPacket } from '../packets.js';
import type { ReconnectInfo, ReconnectingInfo } from '../client-events.js';
import { RelayClient } from '../relay-client.js';
import type { CliIo } from './cli-io.js';
import { processIo } from './cli-io.js';
import type { ConnectionFlags } from './connection-options.js';
import { addConnectionOptions, connectionSettings } from './connection-options.js';
import { EXIT_CODES_HELP, ExitCode, exitCodeFor } from './exit-codes.js';
import { failureText } from './failure-text.js';
import { formatPacket } from './format-packet.js';

export interface ListenFlags extends ConnectionFlags {
  ident?: string;
  json?: boolean;
  count?: string;
  quiet?: boolean;
}

const LISTEN_HELP = `
Examples:
  $ websock listen --ident receiver                 # prints each message's text, one per line
  $ websock listen --ident receiver --json | jq .   # whole packets, one JSON object per line
  $ websock listen --ident receiver --count 1       # wait for one message, print it, exit 0
  $ websock send --ident receiver hello             # (in another shell) what the listener prints

It reconnects by itself (exponential backoff with jitter) when the relay
restarts; notices go to stderr, messages to stdout. Ctrl-C stops it (exit 0).

${EXIT_CODES_HELP}`;

// Listeners wait for a relay that restarts: retry soon, then at most every 10 s.
const LISTEN_BACKOFF = { initialMs: 200, maxMs: 10_000 };

/**
 * `websock listen`: print what arrives until `signal` aborts (or `--count`
 * messages came); returns the exit code.
 */
export async function runListen(flags: ListenFlags, io: CliIo, signal?: AbortSignal): Promise<ExitCode> {
  const note = (line: string): void => {
    if (!flags.quiet) io.stderr.write(`websock listen: ${line}\n`);
  };
  let limit = Infinity;
  let client: RelayClient;
  try {
    if (flags.count !== undefined) {
      limit = Number(flags.count);
      if (!(Number.isInteger(limit) && limit > 0))
        throw new ClientError(ClientErrorCode.BadArgument, `--count must be a whole number > 0, got "${flags.count}"`);
    }
    const { address, options } = connectionSettings(flags, io);
    client = await RelayClient.connect(address, { ...options, ...(flags.ident ? { ident: flags.ident } : {}), reconnect: LISTEN_BACKOFF });
  } catch (error) {
    const code = exitCodeFor(error);
    io.stderr.write(`websock listen: ${failureText(error)}${code === ExitCode.Usage ? ' (see websock listen --help)' : ''}\n`);
    return code;
  }
  note(`listening${flags.ident ? ` as "${flags.ident}"` : ''} on ${client.url} (uuid ${client.uuid}, protocol v${client.protocol})`);

  return new Promise<ExitCode>((resolve) => {
    let seen = 0;
    let finished = false;
    const finish = (code: ExitCode): void => {
      if (finished) return;
      finished = true;
      signal?.removeEventListener('abort', onAbort);
      io.stdout.off('error', onStdoutError);
      client.off('message', onMessage);
      void client.close().then(() => resolve(code));
    };
    function onMessage(packet: ReceivedPacket): void {
      io.stdout.write(`${formatPacket(packet, flags.json === true)}\n`);
      if (++seen >= limit) finish(ExitCode.Ok);
    }
    function onDisconnect(error: ClientError): void {
      note(`${error.message}; reconnecting`);
    }
    function onReconnecting(info: ReconnectingInfo): void {
      if (info.attempt > 1) note(`attempt ${info.attempt - 1} failed (${info.error.message}); next in ${info.delayMs} ms`);
    }
    function onReconnect(info: ReconnectInfo): void {
      note(`reconnected (uuid ${info.uuid}${info.resumed ? ', resumed' : ''})`);
    }
    function onClose(error: ClientError | undefined): void {
      if (error) io.stderr.write(`websock listen: ${failureText(error)}\n`);
      finish(error ? exitCodeFor(error) : ExitCode.Ok);
    }
    function onAbort(): void {
      finish(ExitCode.Ok);
    }
    // Whoever reads our output went away (`| head -1`): nothing left to do.
    function onStdoutError(): void {
      finish(ExitCode.Ok);
    }
    client.on('message', onMessage);
    client.on('disconnect', onDisconnect);
    client.on('reconnecting', onReconnecting);
    client.on('reconnect', onReconnect);
    client.on('close', onClose);
    // Only recoverable relay complaints arrive here; say so and keep listening.
    client.on('error', (error) => note(error.message));
    io.stdout.on('error', onStdoutError);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort);
  });
}

/** Adds `websock listen`. */
export function registerListenCommand(program: Command, io: () => CliIo = processIo): Command {
  const command = program
    .command('listen')
    .description('print each message that arrives for an Ident (the script-to-script receiver), reconnecting as needed')
    .option('--ident <name>', 'the name to listen as (senders use --ident NAME)')
    .option('--json', 'print each whole packet as one line of JSON instead of its message text')
    .option('-n, --count <n>', 'exit (0) after N messages')
    .option('-q, --quiet', 'no notices on stderr (connected, reconnecting)');
  addConnectionOptions(command)
    .addHelpText('after', LISTEN_HELP)
    .action(async function listenAction(flags: ListenFlags) {
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        process.exitCode = await runListen(flags, io(), stop.signal);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
  return command;
}
