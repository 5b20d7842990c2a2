/**
 * One line that says why the relay could not open its port, with what to
 * do about it, instead of a listen() stack trace.
 */
import type { RelayAddress } from '../../include/address.js';

const ADVICE: Record<string, string> = {
  EADDRINUSE: 'the port is already in use; stop the other server or choose another port in adress',
  EACCES: 'permission denied; ports below 1024 need root or CAP_NET_BIND_SERVICE',
  EADDRNOTAVAIL: 'the host is not an address of this machine',
  EAFNOSUPPORT: 'this machine has no network of that address family (IPv6 off?)',
  ENOTFOUND: 'the host name cannot be resolved',
  EAI_AGAIN: 'the host name cannot be resolved (DNS not answering)',
};

/** `cannot listen on ws://127.0.0.1:8080: the port is already in use; ... (EADDRINUSE)` */
export function describeListenError(address: RelayAddress, error: unknown): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  const where = `${address.scheme}://${host}:${address.port}`;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const advice = code !== undefined ? ADVICE[code] : undefined;
  if (advice !== undefined) return `cannot listen on ${where}: ${advice} (${code})`;
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return `cannot listen on ${where}: ${message}`;
}
