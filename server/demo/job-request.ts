/** A validated request to start a demo job. */
export interface JobRequest {
  /** The page to report to (its signed uuid, as the page received it). */
  uuid: string;
  /** Job id the progress reports carry; the page may choose it, so it can filter before the HTTP answer arrives. */
  job: string;
  /** A job token from the page, which the job presents at its handshake instead of relying on allowedIP. */
  token?: string;
  steps: number;
}

export const DEFAULT_STEPS = 20;
export const MAX_STEPS = 100;
const UUID_RE = /^[A-Za-z0-9._-]{1,200}$/;
const JOB_RE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Checks a POST /demo/job body (`{"uuid": "...", "steps"?: n, "job"?: "..."}`):
 * the request, or a sentence saying what is wrong with it.
 * @example parseJobRequest({ uuid: 'a1.f0' }) // { uuid: 'a1.f0', job: 'job-…', steps: 20 }
 */
export function parseJobRequest(body: unknown, newJobId: () => string = randomJobId): JobRequest | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return 'the body must be a JSON object like {"uuid": "<your page uuid>"}';
  const { uuid, steps, job } = body as Record<string, unknown>;
  if (typeof uuid !== 'string' || !UUID_RE.test(uuid))
    return '"uuid" must be the page\'s uuid (letters, digits, ".", "_" or "-", at most 200)';
  if (steps !== undefined && (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1 || steps > MAX_STEPS)) {
    return `"steps" must be an integer from 1 to ${MAX_STEPS}`;
  }
  if (job !== undefined && (typeof job !== 'string' || !JOB_RE.test(job))) return '"job" must be 1-64 letters, digits, "_" or "-"';
  return { uuid, job: job ?? newJobId(), steps: steps ?? DEFAULT_STEPS };
}

function randomJobId(): string {
  return `job-${Math.random().toString(36).slice(2, 10)}`;
}
