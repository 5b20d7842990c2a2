/**
 * The child half of the runner's process protocol: read the JSON config from
 * argv, talk to the runner over IPC, and stop by itself — when the runner
 * goes away or when the time budget is spent — so no load outlives a run.
 */
import { readFileSync } from 'node:fs';
import { isIpcMessage, type IpcMessage } from './ipc-message.js';

/** The JSON configuration the runner passed as the first argument (or, when large, in the file `@path` names). */
export function readConfig<T>(): T {
  const text = process.argv[2];
  if (text === undefined) throw new Error('missing JSON config argument');
  return JSON.parse(text.startsWith('@') ? readFileSync(text.slice(1), 'utf8') : text) as T;
}

export function sendToRunner(message: IpcMessage): void {
  process.send?.(message);
}

/** Report a fatal error to the runner and exit non-zero. */
export function fail(error: unknown): never {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  sendToRunner({ type: 'error', error: text });
  process.stderr.write(`${text}\n`);
  process.exit(2);
}

/**
 * Install the lifetime rules: exit when the IPC channel closes (runner gone)
 * and when `maxRunMs` has passed. Every request handler error becomes a
 * reported failure rather than a hang.
 */
export function serveRunner(maxRunMs: number, onMessage: (message: IpcMessage) => void | Promise<void>): void {
  process.on('disconnect', function runnerGone() {
    process.exit(0);
  });
  setTimeout(function timeBudgetSpent() {
    fail(new Error(`child exceeded its time budget of ${maxRunMs} ms`));
  }, maxRunMs).unref();
  process.on('message', function runnerMessage(message: unknown) {
    if (!isIpcMessage(message)) return;
    Promise.resolve()
      .then(() => onMessage(message))
      .catch(fail);
  });
  process.on('uncaughtException', fail);
}
