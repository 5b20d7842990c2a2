import { CANCEL_SIGNAL } from '../../include/protocol.js';
import type { JobEvent, ProgressEvent, WebsockClient } from './websock-client.js';
import { progressText } from './progress.js';

type Control = HTMLButtonElement | HTMLInputElement;

export interface ProgressBindingOptions {
  /** Only reports of this job; every job when absent (then Cancel stops the latest running one). */
  job?: string | number;
  /** The bar to fill (an element or a CSS selector). */
  bar?: HTMLProgressElement | string | null;
  /** The element whose text becomes the status line (an element or a CSS selector). */
  status?: HTMLElement | string | null;
  /** The control that starts a job: disabled while one runs, enabled again when it ends (done, failed or lost). */
  start?: Control | string | null;
  /** A control that sends `cancel` to the running job: enabled only while one runs. */
  cancel?: Control | string | null;
  /** Called after each report is rendered. */
  onUpdate?: (event: ProgressEvent) => void;
  /** Called once when the job reports `done` or `failed`. */
  onEnd?: (event: ProgressEvent) => void;
  /** Called when the relay says the job is lost (its publisher went away, or the relay restarted). */
  onLost?: (event: JobEvent) => void;
}

/** The status line of a lost job, by reason. */
const LOST_TEXT: Record<string, string> = {
  'publisher-gone': 'lost: the job stopped reporting (its backend went away)',
  'lease-expired': 'lost: the job stopped reporting (its lease ran out)',
  'relay-restarted': 'lost: the relay restarted while the job ran',
};

/**
 * Renders a job's progress reports into a `<progress>` bar and a status line,
 * and returns a function that stops doing so. The bar's `data-state`
 * attribute follows the job (`running`, `done`, `failed`, `lost`) for
 * styling; a report without a percentage makes the bar indeterminate. The
 * optional `start` control is disabled while the job runs and enabled when
 * it ends in any way; the optional `cancel` control signals the job to stop.
 * @example
 * bindProgress(client, { job: 'import-42', bar: '#bar', status: '#status', cancel: '#cancel', onEnd: (e) => alert(e.progress.state) });
 */
export function bindProgress(client: WebsockClient, options: ProgressBindingOptions): () => void {
  const bar = pick<HTMLProgressElement>(options.bar);
  const status = pick<HTMLElement>(options.status);
  const start = pick<Control>(options.start);
  const cancel = pick<Control>(options.cancel);
  const wanted = options.job === undefined ? null : String(options.job);
  let running: string | number | null = null;
  function setRunning(job: string | number | null): void {
    running = job;
    if (start) start.disabled = job !== null;
    if (cancel) cancel.disabled = job === null;
  }
  if (cancel) cancel.disabled = true;
  function cancelOnClick(): void {
    if (running === null) return;
    if (status) status.textContent = 'cancelling…';
    void client.signal(running, CANCEL_SIGNAL).catch(() => {});
  }
  cancel?.addEventListener('click', cancelOnClick);
  const offProgress = client.on('progress', function renderProgress(event) {
    const { progress, percent } = event;
    const job = progress.job as string | number | undefined;
    if (wanted !== null && String(job) !== wanted) return;
    if (bar) {
      bar.max = 100;
      if (percent === undefined) bar.removeAttribute('value');
      else bar.value = percent;
      bar.dataset.state = progress.state ?? 'running';
    }
    if (status) status.textContent = progressText(progress, event.packet.message);
    const ended = progress.state === 'done' || progress.state === 'failed';
    if (ended) {
      if (running === null || job === undefined || String(running) === String(job)) setRunning(null);
    } else if (job !== undefined) setRunning(job);
    options.onUpdate?.(event);
    if (ended) options.onEnd?.(event);
  });
  const offJob = client.on('job', function renderJobState(event) {
    if (wanted !== null && String(event.job) !== wanted) return;
    if (event.state !== 'lost') return;
    if (bar) bar.dataset.state = 'lost';
    if (status) status.textContent = LOST_TEXT[event.reason ?? ''] ?? 'lost';
    if (running === null || String(running) === String(event.job)) setRunning(null);
    options.onLost?.(event);
  });
  return function unbind() {
    offProgress();
    offJob();
    cancel?.removeEventListener('click', cancelOnClick);
  };
}

function pick<T extends Element>(target: T | string | null | undefined): T | null {
  if (typeof target === 'string') return document.querySelector<T>(target);
  return target ?? null;
}
