import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RelayConfig } from '../config/relay-config.js';
import { HttpError } from '../http/http-error.js';
import { sendJson, type HttpContext, type HttpRouter } from '../http/http-router.js';
import { publishAuth } from '../http/publish-auth.js';
import { routingKey } from '../protocol/uuid-signer.js';
import { jobName } from './job-report.js';
import type { JobTracker } from './job-tracker.js';

/** Longest long-poll of GET /signals, in seconds. */
export const MAX_SIGNAL_WAIT_S = 60;

/**
 * `GET /jobs?uuid=…` (a page's jobs and their states) and
 * `GET /signals?uuid=…&job=…&wait=S` (take the page's signals for a job,
 * waiting up to S seconds for one): authorised like publishing (bearer
 * publishSecret, or allowedIP without one). See docs/http-api.md.
 */
export function installJobsHttp(http: HttpRouter, config: RelayConfig, jobs: JobTracker, shuttingDown: () => boolean): void {
  const auth = publishAuth(config);
  function refused(req: IncomingMessage, res: ServerResponse, ctx: HttpContext): boolean {
    const error = shuttingDown() ? new HttpError('SHUTTING_DOWN') : auth(req.headers.authorization, ctx.clientIp);
    if (error === null) return false;
    sendJson(res, error.status, error.body, { 'cache-control': 'no-store', ...error.headers });
    return true;
  }
  http.add('GET', '/jobs', function jobsEndpoint(req, res, ctx) {
    if (refused(req, res, ctx)) return;
    const uuid = query(req).get('uuid');
    if (!uuid) {
      bad(res, 'GET /jobs needs ?uuid=<the page uuid>');
      return;
    }
    const list = jobs.jobsOf(routingKey(uuid)).map((record) => {
      const item: { job: string | number; state: string; reason?: string; updated: string } = {
        job: record.job,
        state: record.state,
        updated: new Date(record.updated).toISOString(),
      };
      if (record.reason !== null) item.reason = record.reason;
      return item;
    });
    sendJson(res, 200, { uuid, jobs: list }, { 'cache-control': 'no-store' });
  });
  http.add('GET', '/signals', function signalsEndpoint(req, res, ctx) {
    if (refused(req, res, ctx)) return;
    const params = query(req);
    const uuid = params.get('uuid');
    const job = jobName(params.get('job') ?? '');
    const wait = Number(params.get('wait') ?? '0');
    if (!uuid || job === null || !Number.isFinite(wait) || wait < 0) {
      bad(res, 'GET /signals needs ?uuid=<page uuid>&job=<job id>[&wait=<seconds, 0 to 60>]');
      return;
    }
    const key = routingKey(uuid);
    const record = jobs.get(key, job);
    if (record === undefined) {
      const error = new HttpError('UNKNOWN_JOB', `the page has no job "${job.slice(0, 64)}" on this relay`);
      sendJson(res, error.status, error.body, { 'cache-control': 'no-store' });
      return;
    }
    const answer = (signals: object[]): void => {
      if (res.headersSent || res.destroyed) return;
      const current = jobs.get(key, job);
      sendJson(res, 200, { job: record.job, state: current?.state ?? record.state, signals }, { 'cache-control': 'no-store' });
    };
    const cancel = jobs.waitForSignals(key, job, Math.min(wait, MAX_SIGNAL_WAIT_S) * 1000, answer);
    if (cancel === null) {
      const error = new HttpError('RATE_LIMITED', 'too many GET /signals are waiting; poll without wait, or later', { 'retry-after': '1' });
      sendJson(res, error.status, error.body, { 'cache-control': 'no-store', ...error.headers });
      return;
    }
    // A poller that hangs up frees its place at once.
    res.on('close', cancel);
  });
}

function query(req: IncomingMessage): URLSearchParams {
  const url = req.url ?? '/';
  const at = url.indexOf('?');
  return new URLSearchParams(at === -1 ? '' : url.slice(at + 1));
}

function bad(res: ServerResponse, detail: string): void {
  const error = new HttpError('BAD_PACKET', detail);
  sendJson(res, error.status, error.body, { 'cache-control': 'no-store' });
}
