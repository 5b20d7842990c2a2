import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { Option } from 'commander';
import { CANCEL_SIGNAL, type JobSignal, type Progress } from '../../include/protocol.js';
import { ClientError, ClientErrorCode } from '../client-error.js';
import type { SendResult } from '../outbound.js';
import { RelayClient } from '../relay-client.js';
import type { CliIo } from './cli-io.js';
import { processIo } from './cli-io.js';
import type { ConnectionFlags } from './connection-options.js';
import { addConnectionOptions, connectionSettings } from './connection-options.js';
import { EXIT_CODES_HELP, ExitCode, exitCodeFor } from './exit-codes.js';
import { failureText } from './failure-text.js';
import { parseProgressArg } from './progress-arg.js';

export interface SendFlags extends ConnectionFlags {
  uuid?: string;
  ident?: string;
  stdin?: boolean;
  progress?: string;
  job?: string;
  status?: string;
  state?: 'running' | 'done' | 'failed';
  json?: boolean;
  from?: string;
  /** A job token a page gave (docs/protocol.md, "Jobs"): sent at the handshake; names the page and job. */
  token?: string;
}

/** What to send, checked: who to, and either one message or the lines of stdin. */
interface SendPlan {
  target: { uuid: string } | { ident: string };
  message: unknown;
  progress: Progress | undefined;
  stdin: boolean;
  json: boolean;
  /** --stdin --job: each line is a progress report of this job, ended with done (or failed, cancelled). */
  job?: string;
}

// Lines of stdin in flight at once: enough to keep a v2 pipeline full, bounded so a fast producer cannot fill memory.
const STDIN_WINDOW = 256;

const SEND_HELP = `
Examples:
  $ websock send --uuid "$PAGE_UUID" "import started"
  $ websock send --uuid "$PAGE_UUID" --job import --progress 40/200 --status "importing rows"
  $ websock send --uuid "$PAGE_UUID" --job import --progress 100 --state done "import finished"
  $ long_job | websock send --uuid "$PAGE_UUID" --stdin        # one feedback per line, in order
  $ websock send --ident receiver hello                         # to the script listening as "receiver"
  $ websock send --ident receiver --json '{"rows":42}'
  $ websock send --address ssl://relay.example.org/php --ca relay.pem --uuid "$U" done

${EXIT_CODES_HELP}`;

function usage(message: string): ClientError {
  return new ClientError(ClientErrorCode.BadArgument, message);
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw usage(`${where} is not valid JSON (--json): ${(error as Error).message}`);
  }
}

/** Check the flags and words; throws BAD_ARGUMENT with a line that says what is wrong. */
export function planSend(words: string[], given: SendFlags): SendPlan {
  const flags = withTokenClaims(given);
  if ((flags.uuid === undefined) === (flags.ident === undefined))
    throw usage('give exactly one recipient: --uuid UUID (a page) or --ident NAME (a script)');
  if (flags.uuid === '' || flags.ident === '') throw usage('the recipient must not be empty');
  const target = flags.uuid !== undefined ? { uuid: flags.uuid } : { ident: flags.ident! };
  const hasProgress = flags.progress !== undefined || flags.job !== undefined || flags.status !== undefined || flags.state !== undefined;
  const text = words.join(' ');
  if (flags.stdin) {
    if (words.length > 0) throw usage('give either MESSAGE or --stdin, not both');
    if (flags.progress !== undefined || flags.status !== undefined || flags.state !== undefined)
      throw usage('--stdin sends each line as a message; it cannot be combined with --progress, --status or --state');
    if (flags.job !== undefined) {
      if (flags.uuid === undefined) throw usage('a job reports to a page: use --uuid with --stdin --job');
      return { target, message: undefined, progress: undefined, stdin: true, json: flags.json === true, job: flags.job };
    }
    return { target, message: undefined, progress: undefined, stdin: true, json: flags.json === true };
  }
  let progress: Progress | undefined;
  if (hasProgress) {
    if (flags.uuid === undefined) throw usage('progress goes to a page: use --uuid');
    progress = { ...(flags.progress !== undefined ? parseProgressArg(flags.progress) : {}) };
    if (flags.job !== undefined) progress.job = flags.job;
    if (flags.status !== undefined) progress.status = flags.status;
    if (flags.state !== undefined) progress.state = flags.state;
  }
  // A token publishes only progress of its job: a bare MESSAGE goes as that job's report.
  if (flags.token !== undefined && !progress) progress = { job: flags.job! };
  if (words.length === 0 && !progress) throw usage('nothing to send: give MESSAGE, --progress/--status, or --stdin');
  const message = words.length === 0 ? undefined : flags.json ? parseJson(text, 'MESSAGE') : text;
  return { target, message, progress, stdin: false, json: flags.json === true };
}

/** --token: the page (uuid) and job it was made for fill --uuid and --job; the relay checks the signature. */
function withTokenClaims(flags: SendFlags): SendFlags {
  if (flags.token === undefined) return flags;
  let claims: { u?: unknown; j?: unknown };
  try {
    claims = JSON.parse(Buffer.from(flags.token.split('.')[0] ?? '', 'base64url').toString('utf8')) as typeof claims;
  } catch {
    throw usage('--token is not a job token (ask the page for one: {"opcode":"token","job":…})');
  }
  if (typeof claims.u !== 'string' || typeof claims.j !== 'string') throw usage('--token is not a job token');
  if (flags.ident !== undefined) throw usage('a job token publishes to its page only: leave out --ident');
  return { ...flags, uuid: flags.uuid ?? claims.u, job: flags.job ?? claims.j };
}

function sendOne(client: RelayClient, plan: SendPlan, message: unknown): Promise<SendResult> {
  if ('ident' in plan.target) return client.send(plan.target.ident, message);
  if (plan.job !== undefined) {
    const status = typeof message === 'string' ? message : undefined;
    return client.progress(plan.target.uuid, { job: plan.job, ...(status !== undefined ? { status } : {}) }, { message });
  }
  if (plan.progress) return client.progress(plan.target.uuid, plan.progress, message === undefined ? {} : { message });
  return client.feedback(plan.target.uuid, message);
}

function describeTarget(plan: SendPlan): string {
  return 'ident' in plan.target ? `ident "${plan.target.ident}"` : `uuid ${plan.target.uuid}`;
}

/**
 * `websock send`: returns the exit code. Prints nothing on success; one line
 * on stderr saying why on failure.
 */
export async function runSend(words: string[], flags: SendFlags, io: CliIo, stop?: AbortSignal): Promise<ExitCode> {
  const fail = (code: ExitCode, message: string): ExitCode => {
    io.stderr.write(`websock send: ${message}\n`);
    return code;
  };
  let plan: SendPlan;
  let client: RelayClient;
  try {
    plan = planSend(words, flags);
    const { address, options } = connectionSettings(flags, io);
    const headers = flags.token === undefined ? {} : { headers: { ...options.headers, Authorization: `Bearer ${flags.token}` } };
    client = await RelayClient.connect(address, { ...options, ...headers, ...(flags.from ? { ident: flags.from } : {}) });
  } catch (error) {
    const code = exitCodeFor(error);
    return fail(code, `${failureText(error)}${code === ExitCode.Usage ? ' (see websock send --help)' : ''}`);
  }
  try {
    if (!plan.stdin) {
      const result = await untilStopped(sendOne(client, plan, plan.message), stop);
      if (result === 'stopped') return fail(stoppedCode(stop), 'interrupted before the relay acknowledged the message');
      if (result === 'unknown') return fail(ExitCode.UnknownRecipient, `nobody is connected with ${describeTarget(plan)}`);
      if (result === 'dropped')
        return fail(ExitCode.Rejected, `not delivered: ${describeTarget(plan)} is not reading (dropped by the relay)`);
      return ExitCode.Ok;
    }
    return await sendLines(client, plan, io, fail, stop);
  } catch (error) {
    return fail(exitCodeFor(error), failureText(error));
  } finally {
    await client.close();
  }
}

/** Each stdin line as one feedback, in order, with a bounded number in flight. */
async function sendLines(
  client: RelayClient,
  plan: SendPlan,
  io: CliIo,
  fail: (code: ExitCode, message: string) => ExitCode,
  stop?: AbortSignal,
): Promise<ExitCode> {
  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
  const inFlight: Array<{ line: number; sending: Promise<SendResult> }> = [];
  let lineNo = 0;
  let failedLine = 0;
  let unknownLine = 0;
  let droppedLines = 0;
  let sentLines = 0;
  let error: unknown;
  const settleOldest = async (): Promise<void> => {
    const { line, sending } = inFlight.shift()!;
    failedLine = line;
    const result = await sending;
    if (result === 'unknown' && unknownLine === 0) unknownLine = line;
    else if (result === 'dropped') droppedLines++;
    else sentLines++;
  };
  // Ctrl-C: read no more lines, let those already sent be acknowledged, then say how far we got.
  const onStop = (): void => lines.close();
  if (stop?.aborted) onStop();
  else stop?.addEventListener('abort', onStop);
  // If the connection is lost while stdin is quiet, stop waiting for lines nobody can send.
  const onClose = (lost: ClientError | undefined): void => {
    if (!lost) return;
    error ??= lost;
    lines.close();
  };
  client.once('close', onClose);
  // --job: the page may cancel the job; then no more lines are read.
  let cancelled = false;
  const onJobSignal = (signal: JobSignal): void => {
    if (signal.signal !== CANCEL_SIGNAL || String(signal.job) !== plan.job) return;
    cancelled = true;
    lines.close();
  };
  if (plan.job !== undefined) client.on('signal', onJobSignal);
  try {
    for await (const text of lines) {
      if (stop?.aborted || cancelled) break;
      lineNo++;
      failedLine = lineNo;
      const message = plan.json ? parseJson(text, `line ${lineNo}`) : text;
      const sending = sendOne(client, plan, message);
      sending.catch(() => {}); // awaited below, in order; not unhandled meanwhile
      inFlight.push({ line: lineNo, sending });
      if (inFlight.length >= STDIN_WINDOW) await settleOldest();
      if (unknownLine) break;
    }
    while (inFlight.length > 0 && !unknownLine) await settleOldest();
    if (plan.job !== undefined && 'uuid' in plan.target && error === undefined && !unknownLine && !stop?.aborted) {
      // The job's final state, so the page's bar ends (cancelled is a failure with that status).
      const final = cancelled ? ({ state: 'failed', status: 'cancelled' } as const) : ({ state: 'done' } as const);
      await client.progress(plan.target.uuid, { job: plan.job, ...final });
    }
  } catch (caught) {
    error = caught;
  } finally {
    client.off('signal', onJobSignal);
    client.off('close', onClose);
    stop?.removeEventListener('abort', onStop);
    lines.close();
  }
  if (error !== undefined) return fail(exitCodeFor(error), `line ${failedLine}: ${failureText(error)}`);
  if (stop?.aborted) {
    const dropped = droppedLines ? `, ${droppedLines} dropped by the relay` : '';
    return fail(
      stoppedCode(stop),
      `interrupted: ${sentLines} line(s) sent and acknowledged${dropped}; no line after line ${lineNo} was read`,
    );
  }
  if (cancelled)
    return fail(ExitCode.Cancelled, `cancelled by the page after ${sentLines} line(s); job ${plan.job} reported failed (cancelled)`);
  if (unknownLine)
    return fail(ExitCode.UnknownRecipient, `nobody is connected with ${describeTarget(plan)} (line ${unknownLine}); stopped`);
  // The recipient may catch up, so keep sending, but say at the end that not everything arrived.
  if (droppedLines)
    return fail(ExitCode.Rejected, `${droppedLines} line(s) not delivered: ${describeTarget(plan)} is not reading (dropped by the relay)`);
  return ExitCode.Ok;
}

/** `sending`, or 'stopped' when `stop` fires first. */
function untilStopped<T>(sending: Promise<T>, stop: AbortSignal | undefined): Promise<T | 'stopped'> {
  if (!stop) return sending;
  if (stop.aborted) return Promise.resolve('stopped');
  return new Promise<T | 'stopped'>((resolve, reject) => {
    const onStop = (): void => resolve('stopped');
    stop.addEventListener('abort', onStop, { once: true });
    sending.then(resolve, reject).finally(() => stop.removeEventListener('abort', onStop));
  });
}

/** The exit code of a stop: 130 for SIGINT (Ctrl-C), 143 for SIGTERM. */
function stoppedCode(stop: AbortSignal | undefined): ExitCode {
  return stop?.reason === 'SIGTERM' ? ExitCode.Terminated : ExitCode.Interrupted;
}

/** Adds `websock send`. */
export function registerSendCommand(program: Command, io: () => CliIo = processIo): Command {
  const command = program
    .command('send')
    .description('send a feedback to a page (--uuid) or a script (--ident), or each line of stdin (--stdin)')
    .argument('[message...]', 'the message (words are joined with spaces)')
    .option('--uuid <uuid>', 'the page to send to (the uuid it got from the relay)')
    .option('--ident <name>', 'the script to send to (its Ident)')
    .option('--stdin', 'send each line of standard input as one feedback, in order')
    .option('-p, --progress <n[/total]>', 'structured progress: done/total (40/200) or a percentage (40)')
    .option(
      '--job <id>',
      'the job the progress belongs to (a page may show one bar per job); with --stdin, each line reports on it and the page may cancel it',
    )
    .option('--status <text>', 'the progress status line (also the message when none is given)')
    .addOption(new Option('--state <state>', 'final state of the job').choices(['running', 'done', 'failed']))
    .option('--json', 'MESSAGE (or each stdin line) is JSON, sent as a value rather than text')
    .option('--from <name>', 'our own Ident, so the receiver can answer')
    .option('--token <token>', "a job token from the page: publish to that page's job from any machine (implies --uuid and --job)");
  addConnectionOptions(command)
    .addHelpText('after', SEND_HELP)
    .action(async function sendAction(words: string[], flags: SendFlags) {
      const stop = new AbortController();
      const onSignal = (signal: NodeJS.Signals): void => {
        if (stop.signal.aborted) process.exit(stoppedCode(stop.signal)); // a second Ctrl-C: do not wait
        stop.abort(signal);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        process.exitCode = await runSend(words, flags, io(), stop.signal);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
  return command;
}
