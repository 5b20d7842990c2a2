import { describe, expect, it } from 'vitest';
import { resolveUrl } from './resolve-url.js';
import { legacyUrl } from './legacy-client.js';

describe('resolveUrl', () => {
  it('resolves paths against the page and maps http(s) to ws(s)', () => {
    expect(resolveUrl('/web', 'https://example.org/app/')).toBe('wss://example.org/web');
    expect(resolveUrl('/web', 'http://127.0.0.1:8080/')).toBe('ws://127.0.0.1:8080/web');
    expect(resolveUrl('http://h:1/web')).toBe('ws://h:1/web');
  });

  it('maps the relay address schemes tcp and ssl', () => {
    expect(resolveUrl('ssl://relay.example.org:8443/web')).toBe('wss://relay.example.org:8443/web');
    expect(resolveUrl('tcp://127.0.0.1:8080/web')).toBe('ws://127.0.0.1:8080/web');
    expect(resolveUrl('ws://h:8080/web')).toBe('ws://h:8080/web');
  });
});

describe('legacyUrl', () => {
  it('joins server and app (the newest original)', () => {
    expect(legacyUrl('ws://localhost:8080', '/web')).toBe('ws://localhost:8080/web');
    expect(legacyUrl('wss://example.org', '/web')).toBe('wss://example.org/web');
  });

  it('accepts the older (server, port, app) form', () => {
    expect(legacyUrl('localhost', 8080, '/web')).toBe('ws://localhost:8080/web');
    expect(legacyUrl('ssl://example.org', '8443', '/web')).toBe('wss://example.org:8443/web');
    expect(legacyUrl('tcp://example.org', 80, '/web')).toBe('ws://example.org:80/web');
  });
});
