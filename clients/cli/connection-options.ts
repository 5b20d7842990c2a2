import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { ClientError, ClientErrorCode } from '../client-error.js';
import type { RelayClientOptions } from '../client-options.js';
import type { ProtocolChoice } from '../relay-socket.js';
import { resolveCliAddress } from './cli-address.js';
import type { CliIo } from './cli-io.js';

/** The flags `send` and `listen` share: where the relay is and how to talk to it. */
export interface ConnectionFlags {
  address?: string;
  ini?: string;
  ca?: string;
  insecure?: boolean;
  protocol?: ProtocolChoice;
  timeout?: string;
}

export function addConnectionOptions(command: Command): Command {
  return command
    .option(
      '-a, --address <url>',
      'relay address, SCHEME://HOST[:PORT][/RESOURCE] with SCHEME ws, wss, tcp or ssl (default: $WEBSOCK_ADDRESS, else adress in ./websock.ini, else tcp://127.0.0.1:8080; resource /php)',
    )
    .option('-i, --ini <file>', 'read the address from this websock.ini instead of ./websock.ini')
    .option('--ca <file>', 'PEM certificate to trust for wss/ssl (e.g. the relay’s self-signed certFile)')
    .option('--insecure', 'accept any TLS certificate, self-signed included (testing only)')
    .addOption(new Option('--protocol <version>', 'protocol to speak').choices(['auto', 'v1', 'v2']).default('auto'))
    .option('--timeout <seconds>', 'how long connecting, and each acknowledgement, may take', '10');
}

function usage(message: string): ClientError {
  return new ClientError(ClientErrorCode.BadArgument, message);
}

/** Turn the shared flags into an address and client options (throws BAD_ARGUMENT). */
export function connectionSettings(flags: ConnectionFlags, io: CliIo): { address: string; options: RelayClientOptions } {
  const where = resolveCliAddress({ address: flags.address, ini: flags.ini, cwd: io.cwd, env: io.env });
  const seconds = Number(flags.timeout ?? '10');
  if (!(Number.isFinite(seconds) && seconds > 0)) throw usage(`--timeout must be a number of seconds > 0, got "${flags.timeout}"`);
  const options: RelayClientOptions = {
    protocol: flags.protocol ?? 'auto',
    connectTimeoutMs: seconds * 1000,
    ackTimeoutMs: seconds * 1000,
  };
  const caFile = flags.ca ? resolve(io.cwd, flags.ca) : where.caFile;
  if (flags.insecure) {
    options.tls = { rejectUnauthorized: false };
  } else if (caFile && /^(wss|ssl):/i.test(where.address)) {
    try {
      options.tls = { ca: readFileSync(caFile) };
    } catch (error) {
      throw usage(`${flags.ca ? '--ca' : `certFile of ${where.source}`}: cannot read ${caFile}: ${(error as Error).message}`);
    }
  }
  return { address: where.address, options };
}
