/**
 * What every answer of the API must be, whatever it was asked: a documented
 * envelope (GraphQL errors[] with the catalog envelope, a union member with the
 * catalog's fields, a REST `{ data }` or `{ error }`), never a 5xx, never anything
 * internal (SQL, driver names, stacks, file paths). Returns the problems found.
 */
import { type ErrorCode, envelopeOf, errorCatalog, errorCodes, errorTypeName } from '../../src/errors/catalog.ts';

export interface CheckedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const errorTypeNames = new Map(errorCodes.map((code) => [errorTypeName(code), code]));

/** Internal details that must never reach a client. */
const LEAKS: Array<[string, RegExp]> = [
  ['driver name', /sqlite|SqliteError|better-sqlite3|drizzle/i],
  ['SQL from a driver', /Failed query|no such (table|column)|\bUNIQUE constraint\b|\binsert into ["`]|\bselect .* from ["`]/i],
  ['stack frame', /\n\s+at [\w.<>$]+ \(|\bat (async )?[\w.$]+ \([^)]*:\d+:\d+\)/],
  ['source path', /\.ts:\d+|node_modules|\/work\/|\/home\/|\/tmp\/|file:\/\//],
];

function isCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCatalog, value);
}

function header(res: CheckedResponse, name: string): string {
  const value = res.headers[name];
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

export function responseProblems(method: string, path: string, res: CheckedResponse): string[] {
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`status ${res.status}`);
  for (const [what, pattern] of LEAKS) if (pattern.test(res.text)) problems.push(`leaks a ${what}`);

  const pathname = new URL(path, 'http://x').pathname;
  if (pathname === '/health') {
    if (res.status !== 200 || res.text !== JSON.stringify({ status: 'ok' })) problems.push(`health answered ${res.status} ${res.text}`);
  } else if (pathname === '/graphql') {
    problems.push(...graphqlProblems(method, res));
  } else if (pathname.startsWith('/-/api/')) {
    problems.push(...restProblems(method, pathname, res));
  } else if (res.status !== 404) {
    problems.push(`unknown path ${pathname} answered ${res.status}, not 404`);
  }
  return problems;
}

function graphqlProblems(method: string, res: CheckedResponse): string[] {
  const contentType = header(res, 'content-type');
  if (method === 'OPTIONS') return res.status === 204 || res.status === 200 ? [] : [`OPTIONS answered ${res.status}`];
  if (contentType.startsWith('text/html')) {
    // GraphiQL, for a browser's GET without a query (development only).
    return method === 'GET' && res.status === 200 ? [] : [`HTML answer to ${method} with status ${res.status}`];
  }
  if (contentType.startsWith('text/event-stream')) {
    // GraphQL over SSE, when the client asked for it: every event is a result.
    const events = res.text
      .split('\n')
      .filter((line) => line.startsWith('data:') && line.length > 5)
      .map((line) => line.slice(5).trim())
      .filter((line) => line !== '');
    return events.flatMap((event) => resultProblems(parse(event), null));
  }
  if (!/^application\/(graphql-response\+)?json/.test(contentType)) return [`content type "${contentType}" (status ${res.status})`];
  return resultProblems(parse(res.text), res.status);
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return Symbol.for('unparsable');
  }
}

/** One GraphQL result: enveloped errors (the first decides the status) and error union members with the catalog's fields. */
function resultProblems(body: unknown, status: number | null): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return ['body is not a GraphQL result object'];
  const problems: string[] = [];
  const { errors, data, ...rest } = body as { errors?: unknown; data?: unknown };
  for (const key of Object.keys(rest)) if (key !== 'extensions') problems.push(`unexpected top-level key "${key}"`);
  if (errors !== undefined) {
    if (!Array.isArray(errors) || errors.length === 0) return [...problems, 'errors is not a non-empty list'];
    for (const error of errors as Array<{ message?: unknown; extensions?: { code?: unknown; error?: unknown } }>) {
      const code = error?.extensions?.code;
      if (!isCode(code)) {
        problems.push(`error without a catalog code: ${JSON.stringify(error).slice(0, 200)}`);
        continue;
      }
      if (code === 'InternalError') problems.push('InternalError');
      if (JSON.stringify(error.extensions?.error) !== JSON.stringify(envelopeOf(code))) problems.push(`${code} envelope differs from the catalog`);
      if (typeof error.message !== 'string' || error.message === '') problems.push(`${code} without a message`);
      // graphql-js names schema fields, types and values as `Did you mean "x"?`; its
      // lexer's "did you mean to use a double quote" names nothing and may stay.
      if (/did you mean (?:the \w+ value )?"/i.test(String(error.message))) problems.push('suggests names ("Did you mean")');
    }
    const first = (errors as Array<{ extensions?: { code?: unknown } }>)[0]?.extensions?.code;
    if (status !== null && isCode(first) && status !== envelopeOf(first).status) {
      problems.push(`status ${status} but the first error is ${first} (${envelopeOf(first).status})`);
    }
  } else if (status !== null && status !== 200) {
    problems.push(`status ${status} without errors`);
  }
  problems.push(...unionMemberProblems(data));
  return problems;
}

/** Every object in `data` whose __typename is an error type carries that code's exact status, message and code. */
function unionMemberProblems(data: unknown): string[] {
  const problems: string[] = [];
  const stack: unknown[] = [data];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) stack.push(...value);
    else if (value !== null && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      const code = typeof record.__typename === 'string' ? errorTypeNames.get(record.__typename) : undefined;
      if (code) {
        if (code === 'InternalError') problems.push('InternalError union member');
        const expected = envelopeOf(code);
        for (const field of ['status', 'message', 'code'] as const) {
          if (field in record && record[field] !== expected[field]) problems.push(`${record.__typename}.${field} is ${JSON.stringify(record[field])}`);
        }
      }
      stack.push(...Object.values(record));
    }
  }
  return problems;
}

function isCatalogRefusal(res: CheckedResponse): boolean {
  const body = parse(res.text) as { error?: { code?: unknown } } | symbol;
  if (typeof body !== 'object' || body === null) return false;
  const code = body.error?.code;
  return (
    isCode(code) && code !== 'InternalError' && res.status === envelopeOf(code).status && JSON.stringify(body.error) === JSON.stringify(envelopeOf(code))
  );
}

/** The methods of each route, as its Allow header lists them. */
const REST_ROUTES: Record<string, string> = {
  '/-/api/user/create': 'POST',
  '/-/api/ssotoken/create': 'POST',
  '/-/api/ssotoken/login': 'GET, HEAD, POST',
};

/**
 * REST: `{ data }` on success, a redirect from the login URL, `{ error }` with the
 * catalog envelope and its status (or, for a browser at the login URL, a page naming
 * the code with its status); 404 only off the routes, 405 (with Allow) only for
 * another method.
 */
function restProblems(method: string, pathname: string, res: CheckedResponse): string[] {
  const routeMethods = REST_ROUTES[pathname];
  // A request refused before routing (e.g. a Host that is no host) gets the envelope anywhere.
  if (!routeMethods) return res.status === 404 || isCatalogRefusal(res) ? [] : [`no route at ${pathname}, answered ${res.status}`];
  if (!routeMethods.split(', ').includes(method)) {
    if ((res.status === 405 && header(res, 'allow') === routeMethods) || isCatalogRefusal(res)) return [];
    return [`${method} ${pathname} answered ${res.status}, not 405`];
  }
  if (res.status === 404 || res.status === 405) return [`${method} ${pathname} answered ${res.status}`];
  if (res.status === 302 || res.status === 303) return header(res, 'location') ? [] : [`redirect without a location`];
  // The confirmation page of a token minted with requireConfirmation (API.md §10).
  if (res.status === 200 && method === 'GET' && header(res, 'content-type').startsWith('text/html') && res.text.includes('id="continue"')) return [];
  if (header(res, 'content-type').startsWith('text/html')) {
    const code = /id="error-code">([A-Za-z]+)</.exec(res.text)?.[1];
    if (!isCode(code)) return ['an HTML answer without a catalog code'];
    return res.status === envelopeOf(code).status ? [] : [`page status ${res.status} for ${code}`];
  }
  const body = parse(res.text) as { data?: unknown; error?: { code?: unknown } } | symbol;
  if (typeof body !== 'object' || body === null) return [`REST answer is not JSON (status ${res.status})`];
  if (res.status === 200 && 'data' in body) return [];
  const code = body.error?.code;
  if (!isCode(code)) return [`REST answer without a catalog error: ${res.text.slice(0, 200)}`];
  const problems: string[] = [];
  if (code === 'InternalError') problems.push('InternalError');
  if (JSON.stringify(body.error) !== JSON.stringify(envelopeOf(code))) problems.push(`${code} REST envelope differs from the catalog`);
  if (res.status !== envelopeOf(code).status) problems.push(`REST status ${res.status} for ${code}`);
  return problems;
}
