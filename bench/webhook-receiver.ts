/**
 * The receiver of `npm run bench:webhooks`, in a process of its own so that answering
 * deliveries takes no time from the load generator. Started with fork(); answers
 * every delivery 204 and tells its parent, when asked, what arrived.
 */
import { createServer } from 'node:http';

/** Arrival time and lag of each delivery, by endpoint path and webhook-id. */
const arrivals = new Map<string, { path: string; at: number; lagMs: number }>();
let duplicates = 0;

const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const at = Date.now();
    const key = `${req.url} ${String(req.headers['webhook-id'])}`;
    const { timestamp } = JSON.parse(body) as { timestamp: string };
    if (arrivals.has(key)) duplicates++;
    else arrivals.set(key, { path: req.url ?? '', at, lagMs: at - Date.parse(timestamp) });
    res.writeHead(204).end();
  });
});

server.listen(0, '127.0.0.1', () => {
  process.send!({ port: (server.address() as { port: number }).port });
});

process.on('message', (message: { ask: 'count'; path: string; from: number; to: number } | { ask: 'lags'; exclude: string[] }) => {
  if (message.ask === 'count') {
    const at = [...arrivals.values()].filter((a) => a.path === message.path);
    process.send!({ total: at.length, between: at.filter((a) => a.at >= message.from && a.at <= message.to).length });
  } else {
    const measured = [...arrivals.values()].filter((a) => !message.exclude.includes(a.path));
    process.send!({ lags: measured.map((a) => a.lagMs), arrived: measured.length, duplicates });
  }
});
process.on('disconnect', () => process.exit(0));
