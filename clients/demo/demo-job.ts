/**
 * The demo's backend job, run as its own process by POST /demo/job: it
 * connects to the relay's /php like any site's backend and reports progress
 * to the page whose uuid it was given, then a final result.
 * Usage: node demo-job.js '{"address":"ws://127.0.0.1:8080/php","uuid":"...","job":"job-1","steps":20,"stepMs":250}'
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CANCEL_SIGNAL, Outcome } from '../../include/protocol.js';
import type { JobScriptArgs } from '../../include/demo-job-args.js';
import { RelayClient } from '../index.js';

const TASKS = ['Reading the upload', 'Checking the records', 'Resizing images', 'Building thumbnails', 'Writing the report'];

async function runJob(args: JobScriptArgs): Promise<void> {
  const started = Date.now();
  // The relay that started us is this machine's own, reached over loopback
  // or its own address: trusting its certificate file is enough, whatever
  // host name the certificate was made for.
  const tls = args.caFile ? { ca: readFileSync(args.caFile), rejectUnauthorized: false } : undefined;
  const headers = args.token ? { headers: { Authorization: `Bearer ${args.token}` } } : {};
  const backend = await RelayClient.connect(args.address, { ...(tls ? { tls } : {}), ...headers });
  try {
    const { uuid, job, steps } = args;
    // The page's Cancel button sends the signal `cancel` for this job; the relay hands it to us.
    let cancelled = false;
    backend.on('signal', (signal) => {
      if (signal.signal === CANCEL_SIGNAL && String(signal.job) === job) cancelled = true;
    });
    const running = { job, total: steps, state: 'running' } as const;
    await backend.progress(
      uuid,
      { ...running, done: 0, status: 'Job accepted, starting…' },
      { message: `Job ${job} started: ${steps} steps` },
    );
    for (let done = 1; done <= steps; done++) {
      await sleep(args.stepMs);
      if (cancelled) {
        await backend.progress(
          uuid,
          { job, done: done - 1, total: steps, state: 'failed', status: 'cancelled' },
          { message: `Job ${job} cancelled by the page at step ${done - 1}/${steps}` },
        );
        return;
      }
      const task = TASKS[Math.min(TASKS.length - 1, Math.floor(((done - 1) / steps) * TASKS.length))] as string;
      // One packet per step: the bar's state, and a line for the page's log.
      const outcome = await backend.progress(
        uuid,
        { ...running, done, status: `${task} (${done}/${steps})` },
        { message: `Step ${done}/${steps}: ${task.toLowerCase()}` },
      );
      // Under protocol v2 the relay says when the page is gone for good (a
      // page that is only reconnecting is 'held'): no one to work for.
      if (outcome === Outcome.Unknown) {
        process.stderr.write(`demo job ${job}: the page is gone, stopping at step ${done}\n`);
        return;
      }
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    await backend.progress(
      uuid,
      { job, done: steps, total: steps, state: 'done', status: `${steps} items processed in ${seconds} s` },
      { message: `Job ${job} finished in ${seconds} s` },
    );
  } finally {
    await backend.close();
  }
}

function parseArgs(text: string | undefined): JobScriptArgs {
  const args = JSON.parse(text ?? '') as JobScriptArgs;
  if (typeof args.address !== 'string' || typeof args.uuid !== 'string' || typeof args.job !== 'string') {
    throw new Error('expected {"address","uuid","job","steps","stepMs"} as the first argument');
  }
  return args;
}

runJob(parseArgs(process.argv[2])).catch((error: Error) => {
  process.stderr.write(`demo job failed: ${error.message}\n`);
  process.exitCode = 1;
});
