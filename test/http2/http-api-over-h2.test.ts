/**
 * The plain HTTP side of the port over HTTP/2: the publish API, /health,
 * /metrics and static files (the demo page and the client bundle), on the
 * same h2 connection as the page's WebSocket, with Node's http2 client and
 * with curl --http2 (skipped where curl is missing or lacks HTTP/2).
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAddress } from '../../include/address.js';
import { installDemo } from '../../server/demo/index.js';
import { H2Connection } from '../helpers/h2-websocket-client.js';
import { Cleanup, startRelay } from '../helpers/relay-fixture.js';
import { makeSelfSignedCert } from '../helpers/tls-cert.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
let cert: ReturnType<typeof makeSelfSignedCert>;
beforeAll(() => {
  cert = makeSelfSignedCert();
});
afterAll(() => cert.remove());

function curlHasHttp2(): boolean {
  try {
    return /\bHTTP2\b/.test(execFileSync('curl', ['--version'], { encoding: 'utf8' }));
  } catch {
    return false;
  }
}

function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('curl', ['--silent', '--show-error', '--max-time', '10', ...args], (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    ),
  );
}

async function tlsRelay() {
  const relay = await startRelay({ address: parseAddress('wss://127.0.0.1:0'), certFile: cert.certFile, pkFile: cert.pkFile });
  installDemo(relay);
  return cleanup.add(relay, (r) => r.stop());
}

describe('the HTTP API and static files over HTTP/2', () => {
  it('one h2 connection carries the demo page, the client bundle, the page WebSocket, POST /feedback to it, /health and /metrics', async () => {
    const relay = await tlsRelay();
    const h2 = cleanup.add(await H2Connection.open({ port: relay.port, tls: true, ca: readFileSync(cert.certFile) }), (c) => c.close());
    const page = await h2.request('GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toMatch(/<html/i);
    const bundle = await h2.request('GET', '/websock-client.mjs');
    expect(bundle.status).toBe(200);
    expect(bundle.body).toContain('WebsockClient');
    const { ws } = await h2.websocket('/web');
    await ws.ready();
    const published = await h2.request('POST', '/feedback', JSON.stringify({ uuid: ws.uuid, message: 'posted over h2' }), {
      'content-type': 'application/json',
    });
    expect(published.status).toBe(200);
    expect(JSON.parse(published.body)).toMatchObject({ outcome: 'delivered' });
    expect(await ws.nextPacket()).toMatchObject({ opcode: 'feedback', message: 'posted over h2' });
    expect((await h2.request('GET', '/health')).status).toBe(200);
    const metrics = await h2.request('GET', '/metrics');
    expect(metrics.body).toMatch(/websock_connections\{kind="browser",protocol="1",transport="h2"\} 1/);
    // Bad input gets the same JSON errors as over HTTP/1.1.
    const bad = await h2.request('POST', '/feedback', '{nope', { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).code).toBe('BAD_JSON');
    expect((await h2.request('GET', '/nothing-here')).status).toBe(404);
  });

  it.skipIf(!curlHasHttp2())('curl --http2 over TLS and --http2-prior-knowledge on a plain port with http2 = true', async () => {
    const relay = await tlsRelay();
    const { ws } = await (await H2Connection.open({ port: relay.port, tls: true, ca: readFileSync(cert.certFile) })).websocket('/web');
    await ws.ready();
    const body = JSON.stringify({ uuid: ws.uuid, message: 'from curl' });
    const out = await curl([
      '--http2',
      '--cacert',
      cert.certFile,
      '-w',
      '\\n%{http_version} %{http_code}',
      '-d',
      body,
      `${relay.httpUrl('/feedback')}`,
    ]);
    expect(out).toMatch(/"outcome":"delivered"[^]*\n2 200$/);
    expect(await ws.nextPacket()).toMatchObject({ message: 'from curl' });
    ws.destroy();
    const plain = cleanup.add(await startRelay({ address: parseAddress('ws://127.0.0.1:0'), http2: true }), (r) => r.stop());
    const health = await curl(['--http2-prior-knowledge', '-w', '\\n%{http_version} %{http_code}', plain.httpUrl('/health')]);
    expect(health).toMatch(/\n2 200$/);
    // HTTP/1.1 on the same plain port still works.
    expect(await curl(['--http1.1', '-w', '\\n%{http_version} %{http_code}', plain.httpUrl('/health')])).toMatch(/\n1\.1 200$/);
  });
});
