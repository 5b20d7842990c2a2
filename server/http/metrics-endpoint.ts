import type { IncomingMessage, ServerResponse } from 'node:http';
import { metricsFor } from '../metrics/prometheus.js';
import type { Relay } from '../relay.js';

/** `GET /metrics`: the relay's metrics in the Prometheus text format. */
export function installMetricsEndpoint(relay: Relay): void {
  const metrics = metricsFor(relay);
  relay.http.add('GET', '/metrics', async function metricsHandler(_req: IncomingMessage, res: ServerResponse) {
    const text = await metrics.text();
    if (res.destroyed) return;
    res.writeHead(200, {
      'content-type': metrics.contentType,
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
    });
    res.end(text);
  });
}
