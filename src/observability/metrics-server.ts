/**
 * The metrics listener: `GET /metrics` in Prometheus text format, on its own port
 * (METRICS_PORT), never on the public one. It answers nothing else. Creating it
 * listens on nothing.
 */
import { createServer, type Server } from 'node:http';
import type { Logger } from './logger.ts';

export type Scrape = () => Promise<{ contentType: string; body: string }>;

export function createMetricsServer(scrape: Scrape, logger: Logger): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Metrics are at GET /metrics.\n');
      return;
    }
    scrape().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'metrics scrape failed');
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('The scrape failed.\n');
      },
    );
  });
}

/** Closes the listener and any connection a scraper keeps open. */
export function closeMetricsServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
