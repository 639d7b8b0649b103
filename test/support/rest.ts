/** Calling the REST routes from tests: JSON posts with a bearer token, reading the body whatever it is. */
import type { TestApp } from './harness.ts';

export interface RestCall {
  token?: string;
  host?: string;
  headers?: Record<string, string>;
}

export interface RestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

async function read(response: Response): Promise<RestResponse> {
  const text = await response.text();
  let body: unknown = null;
  if ((response.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text);
  return { status: response.status, headers: response.headers, body, text };
}

/** POSTs `body` (JSON-encoded unless already a string) with content type application/json unless told. */
export async function postJson(t: TestApp, path: string, body: unknown, call: RestCall = {}): Promise<RestResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...call.headers };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  const response = await t.request(path, {
    method: 'POST',
    host: call.host,
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return read(response);
}

export async function get(t: TestApp, path: string, call: RestCall = {}): Promise<RestResponse> {
  const headers: Record<string, string> = { ...call.headers };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  return read(await t.request(path, { method: 'GET', host: call.host, headers, redirect: 'manual' }));
}

/** The `name=value` pair of a Set-Cookie header for `name`, or null. */
export function cookieFrom(headers: Headers, name = 'session'): { pair: string; attributes: string } | null {
  for (const line of headers.getSetCookie()) {
    if (line.startsWith(`${name}=`)) {
      const [pair, ...attributes] = line.split(';');
      return { pair: pair!.trim(), attributes: attributes.join(';').trim() };
    }
  }
  return null;
}
