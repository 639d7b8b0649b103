/**
 * GraphiQL's page over a real socket (the peer address matters): the demo token
 * only for a request from this machine with a loopback Host, a CSP that forbids
 * framing, and the editor's ~9 MB as content-hashed files cached for a year.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/node-server.ts';
import { createTestApp } from '../support/harness.ts';

const DEMO_TOKEN = 'tapi_demo-token-for-graphiql-tests';
let t: Awaited<ReturnType<typeof createTestApp>>;
let server: ReturnType<typeof createHttpServer>;
let port: number;

beforeAll(async () => {
  t = await createTestApp({ graphiqlApiToken: DEMO_TOKEN });
  server = createHttpServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET over a fresh connection, with exactly the given headers (Host included). */
function get(path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const browser = { accept: 'text/html,application/xhtml+xml' };

describe('GraphiQL', () => {
  it('pre-fills the demo token for a request from this machine with a loopback Host', async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `demo.localhost:${port}`]) {
      const page = await get('/graphql', { ...browser, host });
      expect(page.status, host).toBe(200);
      expect(page.body.toString(), host).toContain(DEMO_TOKEN);
    }
  });

  it('gives no token to any other Host, to a proxied request, or without a socket', async () => {
    const refusals: Array<Record<string, string>> = [
      { host: `evil.example:${port}` },
      // A DNS name rebound to 127.0.0.1 still arrives with its own Host.
      { host: `rebound.attacker.test` },
      { host: `localhost:${port}`, 'x-forwarded-for': '203.0.113.9' },
      { host: `localhost:${port}`, forwarded: 'for=203.0.113.9' },
    ];
    for (const headers of refusals) {
      const page = await get('/graphql', { ...browser, ...headers });
      expect(page.status, JSON.stringify(headers)).toBe(200);
      const html = page.body.toString();
      expect(html, JSON.stringify(headers)).not.toContain(DEMO_TOKEN);
      expect(html).toContain('tapi_…');
    }
    const viaFetch = await t.request('/graphql', { headers: browser, host: 'localhost:4000' });
    expect(await viaFetch.text()).not.toContain(DEMO_TOKEN);
  });

  it('is a small page with a CSP, nosniff, and no framing', async () => {
    const page = await get('/graphql', { ...browser, host: `localhost:${port}` });
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(page.body.length).toBeLessThan(10_000);
    // The options are data, never markup: nothing in them can close the script element.
    expect(page.body.toString()).not.toMatch(/<script>[^<]*YogaGraphiQL/);
  });

  it('serves its script, style and workers once: hashed names, cached for a year', async () => {
    const page = (await get('/graphql', { ...browser, host: `localhost:${port}` })).body.toString();
    const urls = [...page.matchAll(/(?:src|href)="(\/graphql\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(urls.length).toBeGreaterThanOrEqual(3);
    let total = 0;
    const fetched = new Map<string, string>();
    for (const url of urls) {
      expect(url).toMatch(/\.[A-Za-z0-9_-]{16}\.(js|css|ico)$/);
      const asset = await get(url, { host: `localhost:${port}` });
      expect(asset.status, url).toBe(200);
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(asset.headers['x-content-type-options']).toBe('nosniff');
      total += asset.body.length;
      fetched.set(url, asset.body.toString());
    }
    // The workers are files too, named by the starter script.
    const starter = [...fetched.entries()].find(([url]) => url.includes('/start.'))![1];
    for (const worker of starter.matchAll(/"(\/graphql\/assets\/[^"]+\.worker\.[^"]+)"/g)) {
      const asset = await get(worker[1]!, { host: `localhost:${port}` });
      expect(asset.status).toBe(200);
      total += asset.body.length;
    }
    expect(total).toBeGreaterThan(1_000_000);
    expect((await get('/graphql/assets/nothing.0000000000000000.js', { host: `localhost:${port}` })).status).toBe(404);
  });
});
