import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import ini from 'ini';
import { AddressError, parseAddress } from '../../include/address.js';
import { ClientError, ClientErrorCode } from '../client-error.js';

/** Where the address came from, for messages. */
export type AddressSource = '--address' | 'WEBSOCK_ADDRESS' | string | 'default';

export interface CliAddress {
  /** The address to connect to, resource included. */
  address: string;
  source: AddressSource;
  /**
   * The relay's own certificate (certFile of the websock.ini the address came
   * from): a self-signed relay certificate is then trusted without more flags.
   */
  caFile: string | undefined;
}

export interface CliAddressInput {
  /** --address */
  address?: string | undefined;
  /** --ini: a websock.ini other than ./websock.ini */
  ini?: string | undefined;
  cwd: string;
  env: Record<string, string | undefined>;
}

export const DEFAULT_ADDRESS = 'tcp://127.0.0.1:8080';
export const BACKEND_RESOURCE = '/php';
const INI_FILE_NAME = 'websock.ini';
/** The original's shared config file keeps the server keys in this section. */
const SERVER_SECTION = 'websocketserver';
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '*']);

function usage(message: string): ClientError {
  return new ClientError(ClientErrorCode.BadArgument, message);
}

/**
 * The address `websock send`/`listen` connect to: --address, else
 * $WEBSOCK_ADDRESS, else `adress` in ./websock.ini (or --ini), else
 * tcp://127.0.0.1:8080. Without a resource, /php is used. A wildcard listen
 * host (0.0.0.0) from the ini means this machine: 127.0.0.1.
 */
export function resolveCliAddress(input: CliAddressInput): CliAddress {
  if (input.address) return { address: finish(input.address, '--address'), source: '--address', caFile: undefined };
  const fromEnv = input.env.WEBSOCK_ADDRESS;
  if (fromEnv) return { address: finish(fromEnv, 'WEBSOCK_ADDRESS'), source: 'WEBSOCK_ADDRESS', caFile: undefined };
  const iniFile = input.ini ? resolve(input.cwd, input.ini) : join(input.cwd, INI_FILE_NAME);
  if (!existsSync(iniFile)) {
    if (input.ini) throw usage(`--ini ${input.ini}: no such file`);
    return { address: finish(DEFAULT_ADDRESS, 'default'), source: 'default', caFile: undefined };
  }
  const keys = readIniKeys(iniFile);
  const listen = keys.adress ?? keys.address;
  if (!listen) return { address: finish(DEFAULT_ADDRESS, 'default'), source: 'default', caFile: undefined };
  const certFile = keys.certFile;
  const caFile = certFile ? (isAbsolute(certFile) ? certFile : resolve(dirname(iniFile), certFile)) : undefined;
  return { address: finish(listen, iniFile, true), source: iniFile, caFile };
}

function readIniKeys(file: string): Record<string, string | undefined> {
  let parsed: Record<string, unknown>;
  try {
    parsed = ini.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw usage(`${file}: cannot read it: ${(error as Error).message}`);
  }
  const section = Object.entries(parsed).find(([name, value]) => name.toLowerCase() === SERVER_SECTION && typeof value === 'object');
  const merged: Record<string, unknown> = { ...parsed, ...(section?.[1] as Record<string, unknown> | undefined) };
  const out: Record<string, string | undefined> = {};
  for (const key of ['adress', 'address', 'certFile']) {
    const value = merged[key];
    if (typeof value === 'string' && value.trim() !== '') out[key] = value.trim();
  }
  return out;
}

/** Check the address and give it /php when it names no resource. */
function finish(text: string, source: string, fromServerConfig = false): string {
  let parsed;
  try {
    parsed = parseAddress(text);
  } catch (error) {
    if (error instanceof AddressError) throw usage(`${source}: ${error.message}`);
    throw error;
  }
  let out = text.trim();
  // parseAddress reports '/' for both "host:8080" and "host:8080/": only add /php when no path was written.
  if (!/^[a-zA-Z]+:\/\/[^/]*\//.test(out)) out += BACKEND_RESOURCE;
  if (fromServerConfig && WILDCARD_HOSTS.has(parsed.host)) {
    out = out.replace(/^([a-zA-Z]+:\/\/)(\[[^\]]*\]|[^/:]*)/, '$1127.0.0.1');
  }
  return out;
}
