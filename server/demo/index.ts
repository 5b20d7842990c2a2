import { existsSync } from 'node:fs';
import { refusalText } from '../jobs/job-token.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { discardRest } from '../http/discard-rest.js';
import { sendJson, type HttpContext } from '../http/http-router.js';
import type { Relay } from '../relay.js';
import { DemoJobs } from './demo-jobs.js';
import { demoPaths } from './demo-paths.js';
import { parseJobRequest } from './job-request.js';
import { BodyTimeoutError, BodyTooLargeError, readBody } from './read-body.js';
import { DemoGuard } from './demo-guard.js';

export interface DemoOptions {
  /** Pause between the job's steps (default 250 ms: about 5 s for 20 steps). */
  stepMs?: number;
  /** Most demo jobs running at once (default 10). */
  maxJobs?: number;
  /** Job requests per second per client (default 1, with bursts of 5). */
  ratePerSecond?: number;
}

const MAX_BODY_BYTES = 4096;

/**
 * Serves the demo page and the built browser client at `/`, and
 * `POST /demo/job` (`{"uuid": "...", "steps"?: n}`), which starts a separate
 * backend process that reports progress to that page through the relay.
 * @example installDemo(relay); // then open relay.httpUrl('/')
 */
export function installDemo(relay: Relay, options: DemoOptions = {}): void {
  const paths = demoPaths();
  if (!existsSync(paths.pageDir) || !existsSync(paths.jobScript)) {
    relay.logger.warn('demo files are missing: run `npm run build`', { pages: paths.pageDir, job: paths.jobScript });
  }
  relay.http.addStatic('/', paths.pageDir);
  const stepMs = options.stepMs ?? 250;
  const jobs = new DemoJobs(
    { script: paths.jobScript, maxJobs: options.maxJobs ?? 10, stepMs, timeoutMs: 60_000 + 100 * stepMs },
    relay.logger,
  );
  relay.onStop(() => jobs.killAll());
  const guard = new DemoGuard({
    allowedIps: relay.config.demoAllowedIP,
    allowedOrigins: relay.config.allowedOrigins,
    tls: relay.config.address.tls,
    ratePerSecond: options.ratePerSecond ?? 1,
    burst: Math.max(5, Math.ceil(options.ratePerSecond ?? 1)),
  });
  const bodyDeadlineMs = relay.config.handshakeTimeoutMs;
  const tooMany = (res: ServerResponse): void =>
    sendJson(res, 429, { error: 'too many demo jobs are running; try again in a few seconds' }, { 'retry-after': '5' });
  relay.http.add('POST', '/demo/job', async function demoJobHandler(req: IncomingMessage, res: ServerResponse, ctx: HttpContext) {
    const refusal = guard.check(req, ctx.clientIp);
    if (refusal) {
      relay.logger.info('demo job request refused', { ip: ctx.clientIp, status: refusal.status, origin: req.headers.origin });
      sendJson(res, refusal.status, { error: refusal.error }, refusal.headers);
      discardRest(req, res);
      return;
    }
    if (jobs.full) {
      tooMany(res);
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, MAX_BODY_BYTES, bodyDeadlineMs)).toString('utf8'));
    } catch (error) {
      if (error instanceof BodyTooLargeError) sendJson(res, 413, { error: error.message });
      else if (error instanceof BodyTimeoutError) {
        sendJson(res, 408, { error: error.message }, { connection: 'close' });
        discardRest(req, res);
      } else sendJson(res, 400, { error: 'the body is not valid JSON; send {"uuid": "<your page uuid>"}' });
      return;
    }
    // The page may hand over a job token instead of its uuid: the job then reports with it, for that page and job only.
    let token: string | undefined;
    if (typeof body === 'object' && body !== null && typeof (body as { token?: unknown }).token === 'string') {
      token = (body as { token: string }).token;
      const scope = relay.jobTokens.verify(token);
      if (typeof scope === 'string') {
        sendJson(res, 403, { error: refusalText(scope) });
        return;
      }
      body = { ...(body as object), uuid: scope.uuid, job: scope.job, token: undefined };
    }
    const request = parseJobRequest(body);
    if (typeof request === 'string') {
      sendJson(res, 400, { error: request });
      return;
    }
    // Other requests may have started jobs while this body was read.
    if (jobs.full) {
      tooMany(res);
      return;
    }
    const tls = relay.config.address.tls;
    jobs.start(
      { ...request, ...(token !== undefined ? { token } : {}) },
      relay.url('/php'),
      tls ? (relay.config.certFile ?? undefined) : undefined,
    );
    sendJson(res, 202, { job: request.job, steps: request.steps });
  });
}
