/** Calling the SCIM routes (API.md §18) from tests: a bearer token, `application/scim+json`, the body whatever it is. */
import type { TestApp } from './harness.ts';

export const SCIM = '/scim/v2';
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export interface ScimResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ScimCall {
  token?: string;
  headers?: Record<string, string>;
  /** The raw body, sent as is (for malformed ones). */
  raw?: string;
}

/** One SCIM request: `path` is under /scim/v2 (`/Users?filter=…`). */
export async function scim(t: TestApp, method: string, path: string, body?: unknown, call: ScimCall = {}): Promise<ScimResponse> {
  const headers: Record<string, string> = { accept: 'application/scim+json', ...call.headers };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  const payload = call.raw ?? (body === undefined ? undefined : JSON.stringify(body));
  if (payload !== undefined) headers['content-type'] ??= 'application/scim+json';
  const response = await t.request(`${SCIM}${path}`, { method, headers, body: payload });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? null : JSON.parse(text) };
}

/** A SCIM client bound to one token. */
export function scimClient(t: TestApp, token: string) {
  const call = (method: string) => (path: string, body?: unknown, options: Omit<ScimCall, 'token'> = {}) =>
    scim(t, method, path, body, { ...options, token });
  return { get: call('GET'), post: call('POST'), put: call('PUT'), patch: call('PATCH'), delete: call('DELETE') };
}

export type ScimClient = ReturnType<typeof scimClient>;

/** A User body as identity providers send one. */
export function userBody(userName: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: [USER_SCHEMA],
    userName,
    name: { givenName: 'Given', familyName: 'Family' },
    emails: [{ value: userName.includes('@') ? userName : `${userName}@example.com`, type: 'work', primary: true }],
    active: true,
    ...extra,
  };
}

export const patchOps = (...Operations: unknown[]) => ({ schemas: [PATCH_SCHEMA], Operations });

/**
 * A SCIM error body as RFC 7644 §3.12 has it: only its keys, the status as a
 * string; `code` (a catalog code) puts the catalog's message in `detail` and the code
 * in the Team-Api-Error-Code header.
 */
export function errorOf(response: ScimResponse): { status: number; scimType: string | null; code: string | null; keys: string[] } {
  return {
    status: response.status,
    scimType: response.body?.scimType ?? null,
    code: response.headers.get('team-api-error-code'),
    keys: Object.keys(response.body ?? {}).sort(),
  };
}
