/**
 * Item 1 of the hardening issue: whatever a handshake carries, the refusal
 * is a close frame whose reason fits (at most 123 bytes, valid UTF-8) and
 * repeats no header text; the relay process never sees the exception.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseServerBytes, RawSocket, upgradeRequest } from '../helpers/raw-socket.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Errors that reached the process during a test (the relay runs in this process). */
function watchUncaught(): Error[] {
  const seen: Error[] = [];
  const listener = (error: Error): void => void seen.push(error);
  process.on('uncaughtException', listener);
  cleanup.add(listener, (l) => process.off('uncaughtException', l));
  return seen;
}

const decodeStrict = (bytes: Buffer): string => new TextDecoder('utf-8', { fatal: true }).decode(bytes);

/** Send a handshake, collect everything until the relay closes, and return the close packet and frame. */
async function refusal(port: number, path: string, headers: Record<string, string | null>) {
  const raw = cleanup.add(await RawSocket.open(port), (s) => s.destroy());
  raw.write(upgradeRequest(path, headers));
  await raw.until(() => parseServerBytes(raw.data).frames.some((f) => f.opcode === 8));
  const { head, frames } = parseServerBytes(raw.data);
  expect(head).toMatch(/^HTTP\/1\.1 101/);
  const packet = JSON.parse(frames[0]!.text) as { opcode: string; error?: string };
  const close = frames.find((f) => f.opcode === 8)!;
  return { packet, code: close.payload.readUInt16BE(0), reason: close.payload.subarray(2) };
}

describe('close reasons', () => {
  it('a refused Origin with bytes 0x80-0xFF gets a close frame within 123 bytes of valid UTF-8, and the relay lives', async () => {
    const uncaught = watchUncaught();
    const relay = cleanup.add(await startRelay({ allowedOrigins: ['https://app.example'] }), (r) => r.stop());
    // Each latin1 byte over 0x7F becomes two bytes of UTF-8 in a reason that echoes it.
    const origin = 'https://' + '\u00e9\u00ff'.repeat(60) + '.example';
    const { packet, code, reason } = await refusal(relay.port, '/web', { Origin: origin });
    expect(packet.opcode).toBe('close');
    expect(code).toBe(1008);
    expect(reason.length).toBeLessThanOrEqual(123);
    expect(decodeStrict(reason)).not.toContain('\u00e9');
    expect(packet.error).not.toContain('\u00e9');
    expect(uncaught).toEqual([]);
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), { origin: 'https://app.example' }), (p) => p.close());
    expect(page.uuid).not.toBe('');
  });

  it('a long unknown path is not repeated, and its reason is valid UTF-8', async () => {
    const uncaught = watchUncaught();
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const { packet, code, reason } = await refusal(relay.port, '/' + 'x'.repeat(200), {});
    expect(code).toBe(1008);
    expect(packet.error).toBe('no resource at this path');
    expect(decodeStrict(reason)).toBe('no resource at this path');
    expect((await refusal(relay.port, '/nothing-here', {})).packet.error).toBe('no resource at /nothing-here');
    expect(uncaught).toEqual([]);
  });
});
