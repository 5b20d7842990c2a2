/**
 * The WebSocket URL for `url`: relative paths resolve against the page
 * (`/web` on https://example.org → wss://example.org/web), http(s) becomes
 * ws(s), and the relay's own address schemes tcp/ssl become ws/wss so an
 * address from websock.ini can be pasted as is.
 * @example resolveUrl('ssl://relay.example.org:8443/web') // 'wss://relay.example.org:8443/web'
 */
export function resolveUrl(url: string, base: string | undefined = pageUrl()): string {
  const mapped = url
    .trim()
    .replace(/^(ssl|https):/i, 'wss:')
    .replace(/^(tcp|http):/i, 'ws:');
  const resolved = new URL(mapped, base);
  if (resolved.protocol === 'https:') resolved.protocol = 'wss:';
  else if (resolved.protocol === 'http:') resolved.protocol = 'ws:';
  return resolved.href;
}

function pageUrl(): string | undefined {
  return typeof location === 'undefined' ? undefined : location.href;
}
