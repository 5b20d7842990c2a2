/**
 * Item 1 of the hardening issue: nothing a client sends reaches
 * `uncaughtException`. fast-check throws random handshakes, frame streams,
 * packets and HTTP requests, each split at random points, at a real relay
 * in its own process; after every run the process is alive, a fresh page
 * gets `ready`, and no handler logged a failure.
 *
 * CI runs a fixed seed and a few dozen runs per kind (seconds). For a
 * longer hunt: `FUZZ_RUNS=2000 FUZZ_SEED=7 npm run fuzz`.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { RawSocket } from '../helpers/raw-socket.js';
import { PageClient } from '../helpers/relay-fixture.js';
import { ChildRelay } from './child-relay.js';
import { client, encodeFrame, frame, handshake, httpRequest, packet, splitAt, splits, textFrame } from './generators.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const ORIGIN = 'http://app.example';
/** Per property: generous for a loaded machine, and scaled for long runs. */
const TIMEOUT_MS = 60_000 + RUNS * 2_000;

let relay: ChildRelay;

beforeAll(async () => {
  await ensureBuilt();
  relay = await ChildRelay.start([
    `allowedOrigins = ${ORIGIN}`,
    'publishSecret = fuzz-secret',
    'maxMessageSize = 64K',
    'maxChunks = 20',
    'handshakeTimeout = 2',
    'demo = true',
    'pingInterval = 0',
  ]);
}, 60_000);

afterAll(async () => {
  await relay?.stop();
});

/** Write the parts one event-loop turn apart, then wait until the relay closes or goes quiet; then drop the socket. */
async function throwAt(parts: Buffer[]): Promise<void> {
  const raw = await RawSocket.open(relay.port);
  try {
    for (const part of parts) {
      if (raw.socket.destroyed) break;
      raw.write(part);
      await new Promise((resolve) => setImmediate(resolve));
    }
    let seen = -1;
    const deadline = Date.now() + 500;
    while (!raw.ended && Date.now() < deadline && raw.data.length !== seen) {
      seen = raw.data.length;
      await raw.until(() => raw.ended || raw.data.length !== seen, 40).catch(() => {});
    }
  } finally {
    raw.destroy();
  }
}

/** The relay survived: its process runs, a fresh page is admitted, no handler failed. */
async function assertAlive(): Promise<void> {
  expect(relay.exited, relay.output).toBeNull();
  const page = await PageClient.connect(`ws://127.0.0.1:${relay.port}/web`, { origin: ORIGIN });
  page.close();
  expect(relay.output).not.toMatch(/ERROR|uncaught|Error:/);
}

function upgradeFor(who: { path: string; backend: boolean; v2: boolean; ident: string | null }): Buffer {
  const lines = [
    `GET ${who.path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    `Origin: ${ORIGIN}`,
  ];
  if (who.backend) lines.push('Client-Type: php');
  if (who.v2) lines.push('Sec-WebSocket-Protocol: websock.v2');
  if (who.ident !== null) lines.push(`Ident: ${who.ident}`);
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
}

const settings = (): fc.Parameters<unknown> => ({ numRuns: RUNS, seed: SEED, endOnFailure: true });

describe('fuzzing a live relay', () => {
  it(
    'random handshakes',
    async () => {
      await fc.assert(
        fc.asyncProperty(handshake, splits, async (bytes, cuts) => {
          await throwAt(splitAt(bytes, cuts));
          await assertAlive();
        }),
        settings(),
      );
    },
    TIMEOUT_MS,
  );

  it(
    'random frame streams after a valid handshake, split at random points',
    async () => {
      await fc.assert(
        fc.asyncProperty(client, fc.array(frame, { minLength: 1, maxLength: 12 }), splits, async (who, frames, cuts) => {
          const stream = Buffer.concat([upgradeFor(who), ...frames.map(encodeFrame)]);
          await throwAt(splitAt(stream, cuts));
          await assertAlive();
        }),
        settings(),
      );
    },
    TIMEOUT_MS,
  );

  it(
    'random packets in valid frames, from pages and backends, v1 and v2',
    async () => {
      await fc.assert(
        fc.asyncProperty(client, fc.array(packet, { minLength: 1, maxLength: 15 }), splits, async (who, packets, cuts) => {
          const stream = Buffer.concat([upgradeFor(who), ...packets.map(textFrame)]);
          await throwAt(splitAt(stream, cuts));
          await assertAlive();
        }),
        settings(),
      );
    },
    TIMEOUT_MS,
  );

  it(
    'random HTTP requests to every endpoint',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(httpRequest, { minLength: 1, maxLength: 3 }), splits, async (requests, cuts) => {
          await throwAt(splitAt(Buffer.concat(requests), cuts));
          await assertAlive();
        }),
        settings(),
      );
    },
    TIMEOUT_MS,
  );
});
