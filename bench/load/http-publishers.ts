/**
 * Load generator process: backends that publish over HTTP. Each of N
 * keep-alive connections posts its messages one request after the other
 * (the answer carries the outcome, so a publisher waits for it): one per
 * `POST /feedback`, or in groups to `POST /feedback/batch`.
 */
import { Agent, request } from 'node:http';
import { fail, readConfig, sendToRunner, serveRunner } from '../lib/child-side.js';
import { signedParams } from '../../server/pusher/http/request-signature.js';
import { nowUs } from '../lib/clock.js';
import { markedMessage } from '../lib/payload.js';
import type { HttpPublishersConfig, HttpPublishersReport } from './load-config.js';

const REQUEST_TIMEOUT_MS = 15_000;

const config = readConfig<HttpPublishersConfig>();
if (config.batchSize < 1 || config.perConnection % config.batchSize !== 0) {
  fail(new Error(`batchSize ${config.batchSize} must divide perConnection ${config.perConnection}`));
}
const pusher = config.pusher;
if (pusher !== undefined && config.batchSize !== 1) fail(new Error('Pusher events are published one per request (batchSize 1)'));
if (pusher !== undefined && config.warmupPerConnection) fail(new Error('the warm-up posts feedback, not Pusher events'));
const pusherPath = pusher !== undefined ? `/apps/${pusher.appId}/events` : '';
const url =
  pusher !== undefined ? `${config.baseUrl}${pusherPath}` : `${config.baseUrl}${config.batchSize > 1 ? '/feedback/batch' : '/feedback'}`;
const agent = new Agent({ keepAlive: true, maxSockets: config.connections });
const report: HttpPublishersReport = { sent: 0, firstSendUs: 0, lastSendUs: 0, nexts: 0, errors: 0, requests: 0, ok: 0, failures: {} };

function post(body: string): Promise<{ status: number; text: string }> {
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (config.secret !== null) headers.authorization = `Bearer ${config.secret}`;
  // Pusher: signed per request, as the SDKs do (the signing is the publisher's cost, not the relay's).
  const target =
    pusher !== undefined
      ? `${url}?${new URLSearchParams(signedParams(pusher, 'POST', pusherPath, body, Math.floor(Date.now() / 1000)))}`
      : url;
  return new Promise((resolve, reject) => {
    const req = request(target, { method: 'POST', agent, headers, timeout: REQUEST_TIMEOUT_MS }, function onResponse(res) {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

function message(index: number, sendUs: number): { uuid: string; message: string } {
  return { uuid: config.uuids[index % config.uuids.length]!, message: markedMessage(index, sendUs, config.messageBytes) };
}

/** A warm-up message: the size of a measured one, but without the marker the pages count by. */
function warmupMessage(index: number): { uuid: string; message: string } {
  return { uuid: config.uuids[index % config.uuids.length]!, message: 'w'.repeat(config.messageBytes) };
}

/**
 * Warm the relay up with requests shaped like the measured ones (the same
 * endpoint, secret and batch size), so the measured phase prices a request
 * on a relay that has run, not the start-up of a fresh process.
 */
async function warmup(connection: number, requests: number): Promise<number> {
  let failed = 0;
  for (let k = 0; k < requests; k++) {
    const first = connection * requests * config.batchSize + k * config.batchSize;
    const body =
      config.batchSize === 1
        ? JSON.stringify(warmupMessage(first))
        : JSON.stringify({ messages: Array.from({ length: config.batchSize }, (_, j) => warmupMessage(first + j)) });
    if (!accepted(await post(body), config.acceptHeld === true)) failed++;
  }
  return failed;
}

const failedInBatch = /"(unknown|dropped|held|failed|code)"/;
const failedInBatchHeldOk = /"(unknown|dropped|failed|code)"/;

function accepted(answer: { status: number; text: string }, heldOk: boolean): boolean {
  if (config.batchSize > 1) return answer.status === 200 && !(heldOk ? failedInBatchHeldOk : failedInBatch).test(answer.text);
  return answer.status === 200 || (heldOk && answer.status === 202);
}

async function publisher(connection: number): Promise<void> {
  for (let k = 0; k < config.perConnection; k += config.batchSize) {
    const first = connection * config.perConnection + k;
    const sendUs = nowUs();
    const body =
      pusher !== undefined
        ? JSON.stringify({ name: 'bench', channels: [pusher.channel], data: markedMessage(first, sendUs, config.messageBytes) })
        : config.batchSize === 1
          ? JSON.stringify(message(first, sendUs))
          : JSON.stringify({ messages: Array.from({ length: config.batchSize }, (_, j) => message(first + j, sendUs)) });
    if (report.sent === 0) report.firstSendUs = sendUs;
    report.sent += config.batchSize;
    report.requests++;
    report.lastSendUs = sendUs;
    const answer = await post(body);
    // A batch is answered 200 with an outcome per message: each must be delivered (or held, when that is asked).
    const ok = accepted(answer, config.acceptHeld === true);
    if (ok) {
      report.ok++;
    } else {
      report.errors++;
      report.failures[answer.status] = (report.failures[answer.status] ?? 0) + 1;
      report.firstError ??= `${answer.status} ${answer.text.slice(0, 300)}`;
    }
  }
}

serveRunner(config.maxRunMs, async function onRunnerMessage(message) {
  switch (message.type) {
    case 'warm': {
      // In requests per connection: a batch warm-up posts whole batches.
      const requests = Math.ceil((config.warmupPerConnection ?? 0) / config.batchSize);
      const failed = await Promise.all(Array.from({ length: config.connections }, (_, c) => warmup(c, requests)));
      sendToRunner({ type: 'warmed', requests: requests * config.connections, failed: failed.reduce((a, b) => a + b, 0) });
      break;
    }
    case 'go':
      await Promise.all(Array.from({ length: config.connections }, (_, c) => publisher(c)));
      sendToRunner({ type: 'done', report });
      break;
    case 'stop':
      agent.destroy();
      process.exit(0);
  }
});

// Nothing to open beforehand: connections are made by the first requests and kept.
try {
  sendToRunner({ type: 'connected' });
} catch (error) {
  fail(error);
}
