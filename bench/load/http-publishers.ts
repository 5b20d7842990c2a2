/**
 * Load generator process: backends that publish over HTTP. Each of N
 * keep-alive connections posts `POST /feedback` requests one after the
 * other (the answer carries the outcome, so a publisher waits for it).
 */
import { Agent, request } from 'node:http';
import { fail, readConfig, sendToRunner, serveRunner } from '../lib/child-side.js';
import { nowUs } from '../lib/clock.js';
import { markedMessage } from '../lib/payload.js';
import type { HttpPublishersConfig, HttpPublishersReport } from './load-config.js';

const REQUEST_TIMEOUT_MS = 15_000;

const config = readConfig<HttpPublishersConfig>();
const agent = new Agent({ keepAlive: true, maxSockets: config.connections });
const report: HttpPublishersReport = { sent: 0, firstSendUs: 0, lastSendUs: 0, nexts: 0, errors: 0, ok: 0, failures: {} };

function post(body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      config.url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${config.secret}`,
        },
        timeout: REQUEST_TIMEOUT_MS,
      },
      function onResponse(res) {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function publisher(connection: number): Promise<void> {
  for (let k = 0; k < config.perConnection; k++) {
    const index = connection * config.perConnection + k;
    const sendUs = nowUs();
    const body = JSON.stringify({
      uuid: config.uuids[index % config.uuids.length],
      message: markedMessage(index, sendUs, config.messageBytes),
    });
    if (report.sent === 0) report.firstSendUs = sendUs;
    report.sent++;
    report.lastSendUs = sendUs;
    const answer = await post(body);
    if (answer.status === 200) {
      report.ok++;
    } else {
      report.errors++;
      report.failures[answer.status] = (report.failures[answer.status] ?? 0) + 1;
      report.firstError ??= `${answer.status} ${answer.text}`;
    }
  }
}

serveRunner(config.maxRunMs, async function onRunnerMessage(message) {
  switch (message.type) {
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
