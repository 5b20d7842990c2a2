import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLogger } from '../helpers/memory-logger.js';
import { encodeMaskedFrame } from '../helpers/php-style-client.js';
import { parseServerBytes, RawSocket, upgradeRequest } from '../helpers/raw-socket.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const V2 = { protocols: ['websock.v2'] };
const OUTSIDER = { localAddress: '127.0.0.2' };
const TEXT = 0x1;
const CLOSE = 0x8;

function text(payload: string): Buffer {
  return encodeMaskedFrame(TEXT, Buffer.from(payload), true);
}

describe('text only (binary data frames are refused, never forwarded)', () => {
  it('v2: a binary frame gets BINARY_FRAME, then close 1003; the broadcast inside it reaches nobody', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const listener = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (c) => c.close());
    const sender = cleanup.add(await PageClient.connect(relay.url('/web'), { ...V2, ...OUTSIDER }), (c) => c.close());
    sender.ws.send(Buffer.from(JSON.stringify({ opcode: 'broadcast', message: 'binary', id: 1 })), { binary: true });
    expect(await sender.nextPacket()).toMatchObject({ opcode: 'error', code: 'BINARY_FRAME' });
    expect(await sender.closed()).toBe(1003);
    const backend = cleanup.add(await PageClient.connect(relay.url('/php'), { ...V2, headers: { 'Client-Type': 'php' } }), (c) =>
      c.close(),
    );
    backend.send({ opcode: 'broadcast', message: 'marker' });
    expect(await listener.nextPacket()).toMatchObject({ message: 'marker' });
  });

  it('v1: a binary frame gets the close packet and close 1003, no next', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), OUTSIDER), (c) => c.close());
    page.ws.send(Buffer.from('{"opcode":"echo","message":"x"}'), { binary: true });
    expect(await page.nextPacket()).toEqual({ opcode: 'close', error: 'binary frames are not accepted: send text' });
    expect(await page.closed()).toBe(1003);
  });
});

describe('a connection being closed is done', () => {
  it('handles, counts and logs nothing a client packed behind a fatal frame, and logs the cause once', async () => {
    const logger = new MemoryLogger();
    const relay = cleanup.add(await startRelay({}, { logger }), (r) => r.stop());
    const raw = cleanup.add(await RawSocket.open(relay.port, '127.0.0.2'), (s) => s.destroy());
    raw.write(upgradeRequest('/web', { 'Sec-WebSocket-Protocol': 'websock.v2' }));
    await raw.until(() => parseServerBytes(raw.data).frames.length >= 1); // ready
    // One write: bad JSON, then 2000 echoes and 2000 more bad frames, all read at once.
    const burst: Buffer[] = [text('{bad')];
    for (let i = 0; i < 2000; i++) burst.push(text(`{"opcode":"echo","message":"${i}"}`), text('{also bad'));
    raw.write(Buffer.concat(burst));
    expect(await raw.closed()).toBe(true);

    const frames = parseServerBytes(raw.data).frames;
    expect(frames.map((f) => f.opcode)).toEqual([TEXT, TEXT, CLOSE]); // ready, the one error, close
    expect(JSON.parse(frames[1]!.text)).toMatchObject({ opcode: 'error', code: 'BAD_JSON' });
    expect(frames[2]!.payload.readUInt16BE(0)).toBe(1007);
    expect(logger.matching('closing a connection')).toHaveLength(1);
    expect(relay.stats.messagesIn).toBe(1);
    expect(relay.stats.protocolErrors.get('BAD_JSON')).toBe(1);
  });
});
