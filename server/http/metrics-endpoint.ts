import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RelayMetrics } from '../metrics/prometheus.js';
import type { HttpRouter } from './http-router.js';

/** `GET /metrics`: the relay's metrics in the Prometheus text format. */
export function installMetricsEndpoint(http: HttpRouter, metrics: RelayMetrics): void {
  http.add('GET', '/metrics', async function metricsHandler(_req: IncomingMessage, res: ServerResponse) {
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
