/**
 * The demo's backend job, run as its own process by POST /demo/job: it
 * connects to the relay's /php like any site's backend and reports progress
 * to the page whose uuid it was given, then a final result.
 * Usage: node demo-job.js '{"address":"ws://127.0.0.1:8080/php","uuid":"...","job":"job-1","steps":20,"stepMs":250}'
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobScriptArgs } from './demo-jobs.js';
import { MinimalBackend } from './minimal-backend.js';

const TASKS = ['Reading the upload', 'Checking the records', 'Resizing images', 'Building thumbnails', 'Writing the report'];

async function runJob(args: JobScriptArgs): Promise<void> {
  const started = Date.now();
  const backend = await MinimalBackend.connect(args.address, args.caFile);
  const { uuid, job, steps } = args;
  await backend.progress(uuid, { job, done: 0, total: steps, status: 'Job accepted, starting…', state: 'running' });
  await backend.feedback(uuid, `Job ${job} started: ${steps} steps`);
  for (let done = 1; done <= steps; done++) {
    await sleep(args.stepMs);
    const task = TASKS[Math.min(TASKS.length - 1, Math.floor(((done - 1) / steps) * TASKS.length))] as string;
    await backend.progress(uuid, { job, done, total: steps, status: `${task} (${done}/${steps})`, state: 'running' });
    await backend.feedback(uuid, `Step ${done}/${steps}: ${task.toLowerCase()}`);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  await backend.feedback(uuid, `Job ${job} finished in ${seconds} s`);
  await backend.progress(uuid, { job, done: steps, total: steps, status: `${steps} items processed in ${seconds} s`, state: 'done' });
  await backend.close();
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
