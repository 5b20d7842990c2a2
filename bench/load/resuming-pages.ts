/**
 * Load generator process: v2 pages that lose their connections and resume
 * all at once, on the same node or another one (the resume storm). Each page
 * keeps what `ready` told it and counts its feedback by `seq`, so a message
 * skipped or received twice is seen exactly.
 */
import { WebSocket, type RawData } from 'ws';
import { SUBPROTOCOL_V2 } from '../../include/protocol.js';
import { fail, readConfig, sendToRunner, serveRunner } from '../lib/child-side.js';
import type { ResumeStormReport, ResumingPagesConfig } from './load-config.js';

const CONNECT_TIMEOUT_MS = 15_000;

const config = readConfig<ResumingPagesConfig>();
const report: ResumeStormReport = { stormMs: 0, recovered: 0, unique: 0, duplicates: 0, gaps: 0 };
let stopping = false;

interface Packet {
  opcode?: string;
  uuid?: string;
  resumeToken?: string;
  epoch?: string;
  seq?: number;
  recovered?: boolean;
}

class ResumingPage {
  socket: WebSocket | null = null;
  uuid = '';
  resumeToken = '';
  epoch = '';
  lastSeq = 0;
  /** Set once the current connection has been answered (`ready` for a new page, `resumed` after a resume). */
  answered = false;
  /** The seq this page must reach before it counts as done; `onDone` is told once it has. */
  target = 0;
  onDone: (() => void) | null = null;
  readonly index: number;

  constructor(index: number) {
    this.index = index;
  }

  /** Open a socket to `url`; resolves once it is answered (and, for a resume, with `recovered`). */
  open(url: string, resume: boolean): Promise<void> {
    this.answered = false;
    const socket = new WebSocket(url, [SUBPROTOCOL_V2], { perMessageDeflate: false });
    this.socket = socket;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`page ${this.index}: no answer within ${CONNECT_TIMEOUT_MS} ms`)),
        CONNECT_TIMEOUT_MS,
      );
      socket.on('message', (data: RawData) => {
        const packet = JSON.parse(data.toString()) as Packet;
        if (packet.opcode === 'ready' && !resume) {
          this.uuid = String(packet.uuid);
          this.resumeToken = String(packet.resumeToken);
          this.epoch = String(packet.epoch);
          this.answered = true;
          clearTimeout(timer);
          resolve();
        } else if (packet.opcode === 'ready') {
          // The fresh connection's own ready: ask for the old session back.
          socket.send(
            JSON.stringify({ opcode: 'resume', uuid: this.uuid, resumeToken: this.resumeToken, lastSeq: this.lastSeq, epoch: this.epoch }),
          );
        } else if (packet.opcode === 'resumed') {
          if (packet.recovered === true) report.recovered++;
          this.epoch = String(packet.epoch);
          this.answered = true;
          clearTimeout(timer);
          resolve();
          this.#checkDone();
        } else if (packet.opcode === 'feedback') {
          this.#onFeedback(Number(packet.seq));
        } else if (packet.opcode === 'error') {
          fail(new Error(`page ${this.index}: ${data.toString()}`));
        }
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        if (!this.answered) reject(error);
      });
      socket.on('close', (code) => {
        // Expected while the runner closes sockets or kills the node; otherwise a failure.
        if (!stopping && !closing) fail(new Error(`page ${this.index} closed by the relay (code ${code})`));
      });
    });
  }

  #onFeedback(seq: number): void {
    if (seq <= this.lastSeq) {
      report.duplicates++;
      return;
    }
    if (seq > this.lastSeq + 1) report.gaps++;
    report.unique++;
    this.lastSeq = seq;
    this.#checkDone();
  }

  /** Wait until `lastSeq` reaches `target` (and, after a resume, `resumed` came). */
  whenDone(target: number): Promise<void> {
    this.target = target;
    return new Promise((resolve) => {
      this.onDone = resolve;
      this.#checkDone();
    });
  }

  #checkDone(): void {
    if (this.onDone !== null && this.answered && this.lastSeq >= this.target) {
      const done = this.onDone;
      this.onDone = null;
      done();
    }
  }

  /** Resolves once the socket is closed; `terminate` closes it from this side, as a page whose network dropped. */
  close(terminate: boolean): Promise<void> {
    const socket = this.socket;
    if (socket === null || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    if (terminate) socket.terminate();
    return closed;
  }
}

const pages: ResumingPage[] = [];
/** Set while sockets are meant to go away (the runner closes them or kills their node). */
let closing = false;

async function connectAll(): Promise<void> {
  let next = 0;
  async function worker(): Promise<void> {
    while (next < config.count) {
      const page = new ResumingPage(next++);
      pages.push(page);
      await page.open(config.url, false);
    }
  }
  await Promise.all(Array.from({ length: Math.min(config.connectConcurrency, config.count) }, worker));
  pages.sort((a, b) => a.index - b.index);
  sendToRunner({ type: 'connected', uuids: pages.map((page) => page.uuid) });
}

/** Every page reconnects to `url` at the same moment and resumes; timed until each has every message up to `perPage`. */
async function resumeAll(url: string, perPage: number): Promise<void> {
  closing = false;
  const started = performance.now();
  await Promise.all(
    pages.map(async (page) => {
      await page.open(url, true);
      await page.whenDone(perPage);
    }),
  );
  report.stormMs = performance.now() - started;
  sendToRunner({ type: 'resumed', report });
}

serveRunner(config.maxRunMs, async function onRunnerMessage(message) {
  switch (message.type) {
    case 'expect':
      await Promise.all(pages.map((page) => page.whenDone(Number(message.perPage))));
      sendToRunner({ type: 'received', report });
      break;
    case 'close':
      closing = true;
      // The runner may kill the pages' node only after this: a close from then on is expected.
      sendToRunner({ type: 'closing' });
      await Promise.all(pages.map((page) => page.close(message.terminate === true)));
      sendToRunner({ type: 'closed' });
      break;
    case 'resume':
      await resumeAll(String(message.url), Number(message.perPage));
      break;
    case 'report':
      sendToRunner({ type: 'report', report });
      break;
    case 'stop':
      stopping = true;
      for (const page of pages) page.socket?.terminate();
      process.exit(0);
  }
});

connectAll().catch(fail);
