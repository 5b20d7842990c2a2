import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RelayConfig } from '../config/relay-config.js';
import { HttpError } from '../http/http-error.js';
import { sendJson, type HttpContext, type HttpRouter } from '../http/http-router.js';
import { bearerToken, publishAuth } from '../http/publish-auth.js';
import { JobTokens, refusalText, type JobScope } from './job-token.js';
import { routingKey } from '../protocol/uuid-signer.js';
import { jobName } from './job-report.js';
import type { JobTracker, JobView } from './job-tracker.js';

/** Longest long-poll of GET /signals, in seconds. */
export const MAX_SIGNAL_WAIT_S = 60;

/**
 * `GET /jobs?uuid=…` (a page's jobs and their states) and
 * `GET /signals?uuid=…&job=…&wait=S` (take the page's signals for a job,
 * waiting up to S seconds for one): authorised like publishing (bearer
 * publishSecret, or allowedIP without one). See docs/http-api.md.
 */
export function installJobsHttp(
  http: HttpRouter,
  config: RelayConfig,
  jobs: JobTracker,
  shuttingDown: () => boolean,
  tokens: JobTokens | null = null,
): void {
  const auth = publishAuth(config);
  function refused(req: IncomingMessage, res: ServerResponse, ctx: HttpContext): boolean {
    const error = shuttingDown() ? new HttpError('SHUTTING_DOWN') : auth(req.headers.authorization, ctx.clientIp);
    if (error === null) return false;
    sendJson(res, error.status, error.body, { 'cache-control': 'no-store', ...error.headers });
    return true;
  }
  /** A job token as the bearer: its scope, or true when it was refused (answered); null when there is none. */
  function tokenScope(req: IncomingMessage, res: ServerResponse): JobScope | true | null {
    const bearer = bearerToken(req.headers.authorization);
    if (tokens === null || bearer === null || !JobTokens.looksLikeToken(bearer) || bearer === config.publishSecret) return null;
    const scope = tokens.verify(bearer);
    if (typeof scope !== 'string') return scope;
    const error = new HttpError('FORBIDDEN', refusalText(scope));
    sendJson(res, error.status, error.body, { 'cache-control': 'no-store' });
    return true;
  }
  http.add('GET', '/jobs', function jobsEndpoint(req, res, ctx) {
    const scope = tokenScope(req, res);
    if (scope === true) return;
    if (scope !== null) {
      const error = new HttpError('FORBIDDEN', "a job token reads only its job's signals (GET /signals), not GET /jobs");
      sendJson(res, error.status, error.body, { 'cache-control': 'no-store' });
      return;
    }
    if (refused(req, res, ctx)) return;
    const uuid = query(req).get('uuid');
    if (!uuid) {
      bad(res, 'GET /jobs needs ?uuid=<the page uuid>');
      return;
    }
    const answer = (views: JobView[]): void => {
      if (res.headersSent || res.destroyed) return;
      const list = views.map((record) => {
        const item: { job: string | number; state: string; reason?: string; updated: string } = {
          job: record.job,
          state: record.state,
          updated: new Date(record.updated).toISOString(),
        };
        if (record.reason !== null) item.reason = record.reason;
        return item;
      });
      sendJson(res, 200, { uuid, jobs: list }, { 'cache-control': 'no-store' });
    };
    // With several nodes the states come from the whole cluster (a job may report through another node).
    const views = jobs.jobsEverywhere(routingKey(uuid));
    if (Array.isArray(views)) answer(views);
    else void views.then(answer);
  });
  http.add('GET', '/signals', function signalsEndpoint(req, res, ctx) {
    const scope = tokenScope(req, res);
    if (scope === true) return;
    if (scope === null && refused(req, res, ctx)) return;
    const params = query(req);
    const uuid = scope?.uuid ?? params.get('uuid');
    const job = scope?.job ?? jobName(params.get('job') ?? '');
    if (
      scope !== null &&
      ((params.has('job') && params.get('job') !== scope.job) || (params.has('uuid') && routingKey(params.get('uuid')!) !== scope.key))
    ) {
      const error = new HttpError('FORBIDDEN', 'the job token is for another page or job');
      sendJson(res, error.status, error.body, { 'cache-control': 'no-store' });
      return;
    }
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
