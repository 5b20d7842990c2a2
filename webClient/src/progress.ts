import type { Progress } from '../../include/protocol.js';

/**
 * The completion of a progress report in percent (0..100), from `percent`
 * or else `done`/`total`; 100 once the state is `done`; undefined when the
 * report says nothing about it.
 * @example progressPercent({ done: 3, total: 12 }) // 25
 */
export function progressPercent(progress: Progress): number | undefined {
  let percent: number | undefined;
  if (isFiniteNumber(progress.percent)) percent = progress.percent;
  else if (isFiniteNumber(progress.done) && isFiniteNumber(progress.total) && progress.total > 0) {
    percent = (progress.done / progress.total) * 100;
  }
  if (progress.state === 'done') percent = 100;
  return percent === undefined ? undefined : Math.min(100, Math.max(0, percent));
}

/**
 * The status line for a progress report: its `status`, else the report's
 * `message` when that is text (`websock send --state done "import
 * finished"` says it there), else "done/total", else the rounded
 * percentage, else the state.
 * @example progressText({ done: 3, total: 3, state: 'done' }, 'import finished') // 'import finished'
 */
export function progressText(progress: Progress, message?: unknown): string {
  if (typeof progress.status === 'string' && progress.status !== '') return progress.status;
  if (typeof message === 'string' && message !== '') return message;
  if (isFiniteNumber(progress.done) && isFiniteNumber(progress.total)) return `${progress.done}/${progress.total}`;
  const percent = progressPercent(progress);
  if (percent !== undefined) return `${Math.round(percent)} %`;
  return progress.state ?? '';
}

/** Is `value` a structured progress object (as opposed to a missing or garbled field)? */
export function isProgress(value: unknown): value is Progress {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
