/**
 * A `fetch` for a server on this machine that reaches every URL's host at
 * 127.0.0.1:{port}, sending the URL's host as `Host`, as DNS would for
 * `acme.localhost`: Node's fetch neither resolves `*.localhost` here nor lets a
 * caller set `Host`. Injected into the typed client for the group-domain calls.
 */
import { request as httpRequest } from 'node:http';

export function loopbackFetch(port: number): (input: string, init: RequestInit) => Promise<Response> {
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input);
      const headers: Record<string, string> = Object.fromEntries(new Headers(init.headers).entries());
      headers.host = url.host;
      const signal = init.signal ?? undefined;
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const outgoing = httpRequest(
        { host: '127.0.0.1', port, method: init.method ?? 'GET', path: `${url.pathname}${url.search}`, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const responseHeaders = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) responseHeaders.append(name, one);
            }
            resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, headers: responseHeaders }));
          });
        },
      );
      signal?.addEventListener('abort', () => outgoing.destroy(signal.reason), { once: true });
      outgoing.on('error', (error) => reject(new TypeError('fetch failed', { cause: error })));
      outgoing.end(typeof init.body === 'string' ? init.body : undefined);
    });
}
