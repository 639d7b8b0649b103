// Experiment: node:http straight into yoga.getResultForParams vs the adapter path.
import { createServer } from 'node:http';
import { loadConfig } from '../src/config/config.ts';
import { openSqliteStore } from '../src/db/sqlite/store.ts';
import { createApp } from '../src/http/app.ts';
import { createRequestContext } from '../src/http/request-context.ts';

const config = loadConfig({ ...process.env, NODE_ENV: 'production', RATE_LIMIT_ENABLED: 'false' });
const store = openSqliteStore(process.env.DATABASE_URL!);
const app = createApp({ config, store, ssoSecret: 'bench-secret-bench-secret-bench-secret!', logger: false });
const yoga = (app as any).yoga;
const mode = process.argv[2];
createServer((req, res) => {
  if (mode === 'adapter') return app.handle(req, res);
  const chunks: Buffer[] = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const params = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const headers = new Headers(req.headers as Record<string, string>);
    const request = { method: 'POST', headers, url: 'http://x/graphql' } as unknown as Request;
    const rc = createRequestContext(request, config, app.services, 'x');
    const context: any = { ...rc, request, params };
    const result = await yoga.getResultForParams({ params, request }, context);
    const body = JSON.stringify(result);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
