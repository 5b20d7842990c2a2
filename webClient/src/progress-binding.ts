import type { ProgressEvent, WebsockClient } from './websock-client.js';
import { progressText } from './progress.js';

export interface ProgressBindingOptions {
  /** Only reports of this job; every job when absent. */
  job?: string;
  /** The bar to fill (an element or a CSS selector). */
  bar?: HTMLProgressElement | string | null;
  /** The element whose text becomes the status line (an element or a CSS selector). */
  status?: HTMLElement | string | null;
  /** Called after each report is rendered. */
  onUpdate?: (event: ProgressEvent) => void;
  /** Called once when the job reports `done` or `failed`. */
  onEnd?: (event: ProgressEvent) => void;
}

/**
 * Renders a job's progress reports into a `<progress>` bar and a status line,
 * and returns a function that stops doing so. The bar's `data-state`
 * attribute follows the job (`running`, `done`, `failed`) for styling; a
 * report without a percentage makes the bar indeterminate.
 * @example
 * bindProgress(client, { job: 'import-42', bar: '#bar', status: '#status', onEnd: (e) => alert(e.progress.state) });
 */
export function bindProgress(client: WebsockClient, options: ProgressBindingOptions): () => void {
  const bar = pick<HTMLProgressElement>(options.bar);
  const status = pick<HTMLElement>(options.status);
  return client.on('progress', function renderProgress(event) {
    const { progress, percent } = event;
    if (options.job !== undefined && progress.job !== options.job) return;
    if (bar) {
      bar.max = 100;
      if (percent === undefined) bar.removeAttribute('value');
      else bar.value = percent;
      bar.dataset.state = progress.state ?? 'running';
    }
    if (status) status.textContent = progressText(progress, event.packet.message);
    options.onUpdate?.(event);
    if (progress.state === 'done' || progress.state === 'failed') options.onEnd?.(event);
  });
}

function pick<T extends Element>(target: T | string | null | undefined): T | null {
  if (typeof target === 'string') return document.querySelector<T>(target);
  return target ?? null;
}
