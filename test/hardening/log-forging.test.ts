/**
 * Item 9 of the hardening issue: nothing a client sends can forge or hide a
 * log line. Headers (latin1 bytes 0x80-0x9F become C1 controls) and packet
 * text (U+2028) reach the log through a real relay and come out escaped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logger/line-logger.js';
import { parseServerBytes, RawSocket, upgradeRequest } from '../helpers/raw-socket.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('log lines', () => {
  it('escape C0/C1 controls and U+2028/U+2029 from headers and packets', async () => {
    let text = '';
    const logger = createLogger(
      { logLevel: 'debug', console: true, logfile: null, logMaxBytes: 0, logKeep: 0 },
      { stdout: { write: (chunk: string) => (text += chunk) } },
    );
    const logged = cleanup.add(await startRelay({ allowedOrigins: ['https://app.example'] }, { logger }), (r) => r.stop());
    // HTTP refuses C0 controls in headers, but bytes 0x80-0x9F arrive as C1 controls (NEL, CSI).
    const forged = '\u0085\u009b2026-01-01T00:00:00.000Z INFO admin logged in';
    const outsider = cleanup.add(await RawSocket.open(logged.port, '127.0.0.2'), (s) => s.destroy());
    outsider.write(upgradeRequest('/web', { Origin: `https://x${forged}` }));
    await outsider.until(() => parseServerBytes(outsider.data).frames.length > 0);
    const backend = cleanup.add(await RawSocket.open(logged.port), (s) => s.destroy());
    backend.write(upgradeRequest('/php', { 'Client-Type': 'php', Ident: `job${forged}` }));
    await backend.until(() => parseServerBytes(backend.data).frames.length > 0);
    const page = cleanup.add(await PageClient.connect(logged.url('/web'), { origin: 'https://app.example' }), (p) => p.close());
    page.send(`{"opcode":"echo","message":"a\u2028b\u2029c\u0085"}`);
    await page.nextPacket();
    await page.nextPacket();
    const lines = text.split('\n').filter(Boolean);
    expect(lines.some((line) => line.includes('client rejected') && line.includes('\\u0085'))).toBe(true);
    expect(lines.some((line) => line.includes('client connected') && line.includes('\\u009b'))).toBe(true);
    expect(lines.some((line) => line.includes('\\u2028'))).toBe(true);
    for (const line of lines) {
      expect(line, line).not.toMatch(UNSAFE);
      expect(line, line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z (DEBUG|INFO|WARN|ERROR) /);
    }
  });
});
