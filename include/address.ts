/**
 * Relay addresses: `SCHEME://HOST[:PORT][/RESOURCE]`, SCHEME one of ws, wss,
 * tcp, ssl. wss and ssl mean TLS. Shared by the server (where to listen) and
 * the clients (where to connect).
 */

export const SCHEMES = ['ws', 'wss', 'tcp', 'ssl'] as const;
export type Scheme = (typeof SCHEMES)[number];

export interface RelayAddress {
  scheme: Scheme;
  /** Host name or IP; IPv6 without brackets. */
  host: string;
  port: number;
  /** Resource path, always starting with '/'. */
  resource: string;
  tls: boolean;
}

/** Thrown for an address that cannot be parsed; the message says why. */
export class AddressError extends Error {
  override readonly name = 'AddressError';
}

const ADDRESS_RE = /^([a-zA-Z]+):\/\/(\[[0-9a-fA-F:.]+\]|[^/:[\]]+)(?::(\d*))?(\/.*)?$/;

/**
 * Parse an address; a missing port is 80 (ws, tcp) or 443 (wss, ssl).
 * @example parseAddress('ssl://example.org/php') // { scheme: 'ssl', host: 'example.org', port: 443, resource: '/php', tls: true }
 */
export function parseAddress(text: string): RelayAddress {
  const match = ADDRESS_RE.exec(text.trim());
  if (!match) {
    throw new AddressError(`"${text}" is not an address of the form SCHEME://HOST[:PORT][/RESOURCE]`);
  }
  const scheme = match[1]!.toLowerCase();
  if (!(SCHEMES as readonly string[]).includes(scheme)) {
    throw new AddressError(`"${text}": unknown scheme "${scheme}" (allowed: ${SCHEMES.join(', ')})`);
  }
  const tls = scheme === 'wss' || scheme === 'ssl';
  let host = match[2]!;
  if (host.startsWith('[')) host = host.slice(1, -1);
  let port = tls ? 443 : 80;
  if (match[3] !== undefined && match[3] !== '') {
    port = Number(match[3]);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new AddressError(`"${text}": port ${match[3]} is out of range (0-65535)`);
    }
  }
  const resource = match[4] ?? '/';
  return { scheme: scheme as Scheme, host, port, resource, tls };
}

/** The ws:// or wss:// URL a WebSocket client connects to for this address. */
export function toWebSocketUrl(address: RelayAddress, resource = address.resource): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${address.tls ? 'wss' : 'ws'}://${host}:${address.port}${resource}`;
}

/** The http:// or https:// base URL of the relay at this address. */
export function toHttpUrl(address: RelayAddress, path = '/'): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${address.tls ? 'https' : 'http'}://${host}:${address.port}${path}`;
}
