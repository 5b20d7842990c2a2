import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { IpMatcher, normalizeIp } from './ip-match.js';

/**
 * The client's IP: the socket's peer, or the nearest untrusted hop of
 * X-Forwarded-For when the peer is a configured trusted proxy. Anyone else's
 * X-Forwarded-For is ignored, since any client can write that header.
 */
/** What the IP is read from: an HTTP/1.1 or HTTP/2 request alike. */
export interface PeerRequest {
  socket: { remoteAddress?: string | undefined };
  headers: IncomingHttpHeaders;
}

export function clientIp(req: PeerRequest, trustedProxies: IpMatcher): string {
  const peer = normalizeIp(req.socket.remoteAddress ?? '');
  if (trustedProxies.empty || !trustedProxies.has(peer)) return peer;
  const header = req.headers['x-forwarded-for'];
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return peer;
  const hops = value
    .split(',')
    .map((hop) => normalizeIp(hop.trim()))
    .filter(Boolean);
  // Walk from the nearest hop back, skipping our own proxies. A hop that is
  // not an address (header text a client wrote) ends the walk at the last
  // proxy that reported one, so the result is always an IP.
  let nearest = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) return nearest;
    if (!trustedProxies.has(hop)) return hop;
    nearest = hop;
  }
  return nearest;
}
