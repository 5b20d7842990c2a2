/**
 * Load generator process: N browser pages on /web. Connects them (bounded
 * concurrency), reports their uuids, then counts every marked message each
 * page receives, records its end-to-end latency, and tells the runner once
 * everything expected has arrived.
 */
import type { ClientHttp2Session } from 'node:http2';
import type { Histogram } from 'hdr-histogram-js';
import { WebSocket, type RawData } from 'ws';
import { fail, readConfig, sendToRunner, serveRunner } from '../lib/child-side.js';
import { nowUs } from '../lib/clock.js';
import { encodeHistogram, newHistogram, recordUs } from '../lib/histogram.js';
import { parseMarker, sha256 } from '../lib/payload.js';
import { H2PageSocket, openH2Session } from './h2-page-socket.js';
import { channelAuth } from './pusher-auth.js';
import type { PagesConfig, PagesReport } from './load-config.js';

const CONNECT_TIMEOUT_MS = 15_000;

const config = readConfig<PagesConfig>();
const expectation = config.expect;
const messagesPerKind = expectation.kind === 'unicast' || expectation.kind === 'broadcast' ? expectation.messages : 0;
const slots = expectation.kind === 'broadcast' ? messagesPerKind * config.count : messagesPerKind;
/** Large: one more each time the runner re-arms the pages for the next message. */
let expectedTotal = expectation.kind === 'large' ? 1 : slots;

const seen = new Uint8Array(slots);
const histogram: Histogram = newHistogram();
const report: PagesReport = { unique: 0, duplicates: 0, unexpected: 0, histogram: '', firstReceiveUs: 0, lastReceiveUs: 0 };
let completeSent = false;
let stopping = false;

/** HTTP/2 pages: the shared connections, page i on sessions[i % length]. */
const sessions: ClientHttp2Session[] = [];

/** What a page uses of its socket: a `ws` WebSocket over HTTP/1.1, or an Extended CONNECT stream. */
interface PageSocket {
  on(event: 'message', listener: (data: RawData) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'close', listener: (code: number) => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'message', listener: (data: RawData) => void): unknown;
  send(text: string): void;
  terminate(): void;
}

function openSocket(index: number): PageSocket {
  if (sessions.length > 0) return new H2PageSocket(sessions[index % sessions.length]!, config.url, config.subprotocol);
  return new WebSocket(config.url, config.subprotocol ? [config.subprotocol] : [], {
    perMessageDeflate: false,
    maxPayload: 0,
  }) as PageSocket;
}

/** One page: its socket, uuid and index (broadcast slots are per page). */
class Page {
  readonly socket: PageSocket;
  readonly index: number;
  uuid = '';
  readonly ready: Promise<void>;

  constructor(index: number) {
    this.index = index;
    this.socket = openSocket(index);
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`page ${index} got no ready within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
      const onFirst = (data: RawData): void => {
        if (config.pusherChannel !== undefined) {
          // Pusher: subscribe once connected, ready once the subscription succeeded.
          const pusher = JSON.parse(data.toString()) as { event?: string; data?: string };
          if (pusher.event === 'pusher:connection_established') {
            const channel = config.pusherChannel;
            const auth = config.pusherAuth ? channelAuth(config.pusherAuth, pusher.data!, channel) : undefined;
            this.socket.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel, auth } }));
            return;
          }
          if (pusher.event !== 'pusher_internal:subscription_succeeded') return;
          clearTimeout(timer);
          this.socket.off('message', onFirst);
          this.socket.on('message', (message: RawData) => this.onMessage(message));
          resolve();
          return;
        }
        const packet = JSON.parse(data.toString()) as { opcode?: string; uuid?: string };
        if (packet.opcode !== 'ready' || typeof packet.uuid !== 'string') return;
        clearTimeout(timer);
        this.socket.off('message', onFirst);
        this.uuid = packet.uuid;
        this.socket.on('message', (message: RawData) => this.onMessage(message));
        resolve();
      };
      this.socket.on('message', onFirst);
      this.socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    this.socket.on('error', (error) => {
      if (!stopping) fail(new Error(`page ${index}: ${error.message}`));
    });
    this.socket.on('close', (code) => {
      if (!stopping) fail(new Error(`page ${index} closed by the relay (code ${code})`));
    });
  }

  onMessage(data: RawData): void {
    const receivedUs = nowUs();
    const text = data.toString();
    if (expectation.kind === 'large') {
      this.onLarge(text, receivedUs);
      return;
    }
    const marker = parseMarker(text);
    if (!marker) return;
    const slot = expectation.kind === 'broadcast' ? this.index * messagesPerKind + marker.index : marker.index;
    if (marker.index >= messagesPerKind || slot >= slots) {
      report.unexpected++;
      return;
    }
    if (seen[slot] === 1) {
      report.duplicates++;
      return;
    }
    seen[slot] = 1;
    recordUs(histogram, receivedUs - marker.sentUs);
    noteReceived(receivedUs);
  }

  onLarge(text: string, receivedUs: number): void {
    const packet = JSON.parse(text) as { opcode?: string; message?: unknown };
    if (typeof packet.message !== 'string' || packet.opcode === 'ready') return;
    report.largeBytes = packet.message.length;
    report.largeSha256 = sha256(packet.message);
    noteReceived(receivedUs);
  }
}

function noteReceived(receivedUs: number): void {
  if (report.unique === 0) report.firstReceiveUs = receivedUs;
  report.lastReceiveUs = receivedUs;
  report.unique++;
  if (!completeSent && report.unique >= expectedTotal && expectedTotal > 0) {
    completeSent = true;
    sendToRunner({ type: 'complete' });
  }
}

const pages: Page[] = [];

async function connectAll(): Promise<void> {
  const startedUs = nowUs();
  for (let i = 0; i < (config.h2Connections ?? 0); i++) sessions.push(await openH2Session(config.url, CONNECT_TIMEOUT_MS));
  let next = 0;
  async function worker(): Promise<void> {
    while (next < config.count) {
      const page = new Page(next++);
      pages.push(page);
      await page.ready;
    }
  }
  await Promise.all(Array.from({ length: Math.min(config.connectConcurrency, config.count) }, worker));
  pages.sort((a, b) => a.index - b.index);
  sendToRunner({
    type: 'connected',
    connectMs: (nowUs() - startedUs) / 1000,
    uuids: config.reportUuids ? pages.map((page) => page.uuid) : [],
  });
}

serveRunner(config.maxRunMs, function onRunnerMessage(message) {
  switch (message.type) {
    case 'report':
      report.histogram = encodeHistogram(histogram);
      sendToRunner({ type: 'report', report });
      break;
    case 'rearm':
      // Large: the next message is on its way; 'complete' again when it has arrived.
      expectedTotal = report.unique + 1;
      completeSent = false;
      sendToRunner({ type: 'rearmed' });
      break;
    case 'stop':
      stopping = true;
      for (const page of pages) page.socket.terminate();
      for (const session of sessions) session.destroy();
      process.exit(0);
  }
});

connectAll().catch(fail);
