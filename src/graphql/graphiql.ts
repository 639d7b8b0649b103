/**
 * GraphiQL, served self-contained (no CDN) and cheaply: a small page that loads
 * the editor's script, style and workers as files under content-hashed names,
 * cacheable for a year, so a reload costs kilobytes rather than the ~9 MB the
 * package inlines. The page has a CSP, cannot be framed, and carries the demo
 * group's API token only for a request from this machine.
 */
import { createHash } from 'node:crypto';
import { css, editorWorkerService, favicon, graphqlWorker, js, jsonWorker } from '@graphql-yoga/render-graphiql/graphiql';
import { type Reply, reply } from '../requests/exchange.ts';

export const GRAPHIQL_ASSETS_PATH = '/graphql/assets/';

export const defaultGraphiQLDocument = `# Team API: provision a user into your group.
# Put your API token in the Headers tab: {"Authorization": "Bearer tapi_..."}
mutation CreateUser {
  createUser(input: { email: "ada@example.com", suggestedUsername: "ada-lovelace" }) {
    __typename
    ... on CreateUserSuccess {
      user { id username email createdAt }
    }
    ... on InvalidInput { field }
    ... on Error { status code message }
  }
}
`;

/** Starts the editor: its options come from the page as JSON, its workers from the asset files. */
function starter(workers: Record<string, string>): string {
  return `(function () {
  var workers = ${JSON.stringify(workers)};
  self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: function (moduleId, label) { return workers[label]; } };
  var options = JSON.parse(document.getElementById('graphiql-options').textContent);
  YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), options);
})();
`;
}

const assets = new Map<string, { body: string | Uint8Array; type: string }>();

/** Adds a file under a name holding its content's digest; returns its URL. */
function addAsset(stem: string, extension: string, type: string, body: string | Uint8Array): string {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
  const name = `${stem}.${hash}.${extension}`;
  assets.set(name, { body, type });
  return `${GRAPHIQL_ASSETS_PATH}${name}`;
}

const JS = 'text/javascript; charset=utf-8';
const workerUrls = {
  editorWorkerService: addAsset('editor.worker', 'js', JS, editorWorkerService),
  json: addAsset('json.worker', 'js', JS, jsonWorker),
  graphql: addAsset('graphql.worker', 'js', JS, graphqlWorker),
};
const faviconMatch = /^data:([^;]+);base64,(.*)$/.exec(favicon);
const page = {
  css: addAsset('graphiql', 'css', 'text/css; charset=utf-8', css),
  js: addAsset('graphiql', 'js', JS, js),
  starter: addAsset('start', 'js', JS, starter(workerUrls)),
  favicon: faviconMatch ? addAsset('favicon', 'ico', faviconMatch[1]!, Buffer.from(faviconMatch[2]!, 'base64')) : null,
};

/**
 * Scripts and styles from this origin only (Monaco adds style attributes of its
 * own, hence 'unsafe-inline' for styles alone), requests only to this origin, no
 * framing, no plugins, no base or form target elsewhere.
 */
const GRAPHIQL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "worker-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const graphiqlPageHeaders: Readonly<Record<string, string>> = {
  'content-security-policy': GRAPHIQL_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** GraphiQL's options, as Yoga hands them to `renderGraphiQL`. */
export function graphiqlOptions(apiToken: string | null) {
  return {
    title: 'Team API',
    defaultQuery: defaultGraphiQLDocument,
    headers: JSON.stringify({ Authorization: `Bearer ${apiToken ?? 'tapi_…'}` }, null, 2),
    shouldPersistHeaders: false,
  };
}

/** JSON that can stand inside a <script> element: nothing in it can close the element or open a comment. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page (Yoga's `renderGraphiQL`): the options as data, everything else loaded from the asset files. */
export function renderGraphiQL(options?: { title?: string } & Record<string, unknown>): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(options?.title ?? 'GraphiQL')}</title>
${page.favicon ? `<link rel="icon" href="${page.favicon}">` : ''}
<link rel="stylesheet" href="${page.css}">
</head>
<body id="body" class="no-focus-outline">
<noscript>GraphiQL needs JavaScript. The API itself does not: POST /graphql.</noscript>
<div id="root"></div>
<script type="application/json" id="graphiql-options">${scriptJson(options ?? {})}</script>
<script src="${page.js}"></script>
<script src="${page.starter}"></script>
</body>
</html>
`;
}

/** Serves one asset file: cacheable for a year, since its name changes with its content. */
export function graphiqlAsset(pathname: string, method: string): Reply {
  const asset = assets.get(pathname.slice(GRAPHIQL_ASSETS_PATH.length));
  if (!asset) return reply(404, null, { 'x-content-type-options': 'nosniff' });
  if (method !== 'GET' && method !== 'HEAD') return reply(405, null, { allow: 'GET, HEAD' });
  return reply(200, method === 'HEAD' ? null : asset.body, {
    'content-type': asset.type,
    'cache-control': 'public, max-age=31536000, immutable',
    'x-content-type-options': 'nosniff',
  });
}

const LOOPBACK_HOST = /^(?:localhost|(?:[a-z0-9-]+\.)*localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i;
const LOOPBACK_ADDRESS = /^(?:127(?:\.\d{1,3}){3}|::1|::ffff:127(?:\.\d{1,3}){3})$/i;

/**
 * Whether a request surely comes from this machine: a loopback peer, a loopback
 * Host (so no DNS-rebound name), and no proxy in between (a proxy on this machine
 * is a loopback peer for every client it forwards).
 */
export function isLocalRequest(socketAddress: string, headers: { get(name: string): string | null }): boolean {
  const host = headers.get('host');
  return (
    LOOPBACK_ADDRESS.test(socketAddress) &&
    host !== null &&
    LOOPBACK_HOST.test(host) &&
    headers.get('x-forwarded-for') === null &&
    headers.get('forwarded') === null
  );
}
