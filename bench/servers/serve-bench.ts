/**
 * What both relay processes share: print the port on stdout as JSON, then
 * answer the runner's requests for CPU/memory figures and garbage
 * collection, and stop the relay on request (so --cpu-prof can write).
 */
import { writeFileSync } from 'node:fs';
import { fail, readConfig, sendToRunner, serveRunner } from '../lib/child-side.js';
import { processStats } from '../lib/process-stats.js';

export interface BenchServer {
  port: number;
  stop(): Promise<void>;
}

/** The bearer secret of the HTTP scenarios that set one; the publishers send it (the reference ignores it). */
export const BENCH_PUBLISH_SECRET = 'bench-publish-secret';

/** The Pusher app our relay serves in every run (the Pusher scenarios publish to it; the others do not notice it). */
export const BENCH_PUSHER_APP = { appId: '1000', key: 'bench-key', secret: 'bench-pusher-secret' } as const;

/** The config the runner passes to a relay process. */
export interface ServerProcessConfig {
  maxRunMs: number;
  /** Largest message the relay must accept, bytes (large scenario). */
  maxMessageBytes?: number;
  /** Our relay: the HTTP API's bearer secret; absent, publishers are admitted by allowedIP (loopback). */
  publishSecret?: string;
  /** Our relay: RelayConfig keys set over the defaults (`--set`). */
  settings?: Record<string, number | string | boolean>;
  /** Our relay: register one trivial preSend hook (the hooks-cost scenarios; `BENCH_PRESEND=1` does the same for every run). */
  preSendHook?: boolean;
}

export async function serveBench(start: (config: ServerProcessConfig) => Promise<BenchServer>): Promise<void> {
  const config = readConfig<ServerProcessConfig>();
  let server: BenchServer;
  try {
    server = await start(config);
  } catch (error) {
    fail(error);
  }
  serveRunner(config.maxRunMs, async function onRunnerMessage(message) {
    switch (message.type) {
      case 'stats':
        sendToRunner({ type: 'stats', stats: processStats() });
        break;
      case 'gc': {
        // Two passes: the first may only queue finalizers that free more.
        const gc = (globalThis as { gc?: () => void }).gc;
        gc?.();
        gc?.();
        sendToRunner({ type: 'gc-done', collected: gc !== undefined });
        break;
      }
      case 'reset-peak':
        // Linux: writing 5 to clear_refs resets VmHWM, so the next peak is one message's own.
        try {
          writeFileSync('/proc/self/clear_refs', '5');
          sendToRunner({ type: 'peak-reset', ok: true });
        } catch {
          sendToRunner({ type: 'peak-reset', ok: false });
        }
        break;
      case 'stop':
        await server.stop();
        process.exit(0);
    }
  });
  process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
}
