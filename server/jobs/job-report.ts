import type { JobReport } from './job-tracker.js';

/**
 * The job report a feedback packet carries: its `progress.job` (a non-empty
 * string or a finite number), `progress.state` and `progress.ttl`; null when
 * it has none. Callers test `packet.progress !== undefined` first, so a
 * message without progress costs one property read.
 */
export function jobReportOf(packet: { readonly [field: string]: unknown }): JobReport | null {
  const progress = packet.progress;
  if (typeof progress !== 'object' || progress === null) return null;
  const { job, state, ttl } = progress as { job?: unknown; state?: unknown; ttl?: unknown };
  if (!((typeof job === 'string' && job !== '' && job.length <= 256) || (typeof job === 'number' && Number.isFinite(job)))) return null;
  return { job, state, ttl };
}

/** A job id from a client's packet or a query: a non-empty string of at most 256 characters, or a finite number. */
export function jobName(value: unknown): string | null {
  if (typeof value === 'string') return value !== '' && value.length <= 256 ? value : null;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}
