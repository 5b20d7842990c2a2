import { ClientError, ClientErrorCode } from '../client-error.js';

/** Exit codes of `websock send` and `websock listen`; scripts may test them. Listed in --help and docs/clients.md. */
export const ExitCode = {
  /** Done: every message was acknowledged (v1) or delivered or held (v2). */
  Ok: 0,
  /** Bad command line or address. */
  Usage: 1,
  /** The relay could not be reached (refused, unreachable, DNS, TLS, timeout). */
  CannotConnect: 2,
  /** The relay refused us (no such resource, IP not allowed, full). */
  Refused: 3,
  /** v2 only: no page or script has that uuid or ident. */
  UnknownRecipient: 4,
  /** The connection was lost before everything was acknowledged. */
  ConnectionLost: 5,
  /** The relay refused a message (too large, an error packet), or dropped it (v2 `dropped`: the recipient does not read). */
  Rejected: 6,
  /** send --stdin --job: the page cancelled the job (signal `cancel`); the job was reported failed, status cancelled. */
  Cancelled: 7,
  /** Stopped by Ctrl-C (SIGINT, 128 + 2); with --stdin the number of lines sent is printed. */
  Interrupted: 130,
  /** Stopped by SIGTERM (128 + 15); as for Interrupted. */
  Terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The help text block that documents the exit codes. */
export const EXIT_CODES_HELP = `Exit codes:
  0  ok: every message acknowledged (v1) or delivered/held (v2)
  1  usage: bad options or address
  2  cannot connect: nothing listening, unreachable, TLS not trusted, timeout
  3  refused by the relay: no such resource, IP not allowed, relay full
  4  unknown recipient: no page/script has that uuid/ident (v2 relays only)
  5  connection lost before everything was acknowledged
  6  message refused or dropped: too large, an error from the relay, or the
     recipient is not reading (v2 outcome "dropped")
  7  send --stdin --job: the page cancelled the job (it was reported failed,
     status "cancelled"); no more lines were read
  130  send: stopped by Ctrl-C (SIGINT); with --stdin it says how many lines were
       sent (143: the same for SIGTERM)`;

/** The exit code a failure stands for. */
export function exitCodeFor(error: unknown): ExitCode {
  if (!(error instanceof ClientError)) return ExitCode.ConnectionLost;
  switch (error.code) {
    case ClientErrorCode.BadArgument:
      return ExitCode.Usage;
    case ClientErrorCode.ConnectFailed:
      return ExitCode.CannotConnect;
    case ClientErrorCode.HandshakeRefused:
      return ExitCode.Refused;
    case ClientErrorCode.TooLarge:
    case ClientErrorCode.RelayError:
      return error.relayCode === 'UNKNOWN_RECIPIENT' ? ExitCode.UnknownRecipient : ExitCode.Rejected;
    case ClientErrorCode.Closed:
    case ClientErrorCode.ConnectionLost:
    case ClientErrorCode.Timeout:
      return ExitCode.ConnectionLost;
  }
}
