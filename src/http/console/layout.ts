/**
 * The console's page layout: a header naming the group and the admin, the
 * navigation, one main landmark, its stylesheet and its one script (the copy
 * button of a secret shown once), all inline and allowed by hash. Also the
 * small pieces every console page uses: times, notices, form errors, the hidden
 * form-token field, links with query strings.
 */
import { type ErrorCode, envelopeOf } from '../../errors/catalog.ts';
import type { DomainError } from '../../errors/domain-error.ts';
import { errorCodeLine } from '../error-responses.ts';
import type { Reply } from '../../requests/exchange.ts';
import { html, htmlDocument, htmlReply, InlineAsset, SafeHtml, securityHeadersFor } from '../html.ts';
import { CONSOLE_PATH, SIGN_OUT_PATH } from '../pages.ts';

export { CONSOLE_PATH };
/** The name of the hidden field that carries the session's form token. */
export const FORM_TOKEN_FIELD = 'csrfToken';

const STYLE = new InlineAsset(`
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1b1f;background:#f4f5f7}
a{color:#1d4ed8}a:hover{color:#1e3a8a}
:focus-visible{outline:3px solid #2563eb;outline-offset:2px}
.skip{position:absolute;left:-999rem;top:.5rem;background:#fff;padding:.5rem 1rem;z-index:1}
.skip:focus{left:.5rem}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.top{background:#1e293b;color:#f8fafc}
.top-inner{max-width:76rem;margin:0 auto;padding:.75rem 1.25rem;display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;justify-content:space-between}
.brand{font-weight:700;font-size:1.125rem}.brand span{font-weight:400;color:#cbd5e1}
.who{display:flex;gap:1rem;align-items:center;color:#cbd5e1}
.who form{margin:0}
.top button{background:transparent;color:#f8fafc;border:1px solid #64748b;border-radius:6px;padding:.3rem .8rem;font:inherit;cursor:pointer}
.top button:hover{background:#334155}
.frame{max-width:76rem;margin:0 auto;padding:1.5rem 1.25rem 3rem;display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}
nav.sections{flex:0 0 12rem}
nav.sections ul{list-style:none;margin:0;padding:0}
nav.sections a{display:block;padding:.45rem .75rem;border-radius:6px;text-decoration:none;color:#1b1b1f}
nav.sections a:hover{background:#e2e8f0}
nav.sections a[aria-current=page]{background:#1d4ed8;color:#fff;font-weight:600}
main{flex:1 1 30rem;min-width:0;background:#fff;border:1px solid #e2e8f0;border-radius:10px;padding:1.5rem 1.75rem}
main.alone{max-width:40rem;margin:0 auto}
h1{font-size:1.6rem;margin:0 0 1rem;line-height:1.25}
h1+.lead{margin-top:-.6rem}
h2{font-size:1.2rem;margin:2rem 0 .75rem}
h3{font-size:1rem;margin:1.25rem 0 .5rem}
.lead{color:#475569;margin:0 0 1.5rem}
.muted{color:#5c5c66}
.small{font-size:.875rem}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
code{background:#f1f5f9;padding:.1rem .3rem;border-radius:4px;overflow-wrap:anywhere}
table{width:100%;border-collapse:collapse;margin:.5rem 0 1rem;font-size:.95rem}
caption{text-align:left;font-weight:600;padding:.25rem 0 .5rem;color:#334155}
th,td{text-align:left;padding:.55rem .6rem;border-bottom:1px solid #e2e8f0;vertical-align:middle}
thead th{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:#475569;background:#f8fafc}
tbody th{font-weight:600}
td.when,.nowrap,summary{white-space:nowrap}
td.by{min-width:10rem}
table.log td.when time span{display:block}
table.log td.about strong{overflow-wrap:anywhere}
td.num,th.num{text-align:right}
td.actions{text-align:right;white-space:nowrap}
td.actions form{display:inline;margin:0}
.wrap{overflow-x:auto}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(8.5rem,1fr));gap:1rem;margin:1rem 0 1.5rem;padding:0;list-style:none}
.cards li{border:1px solid #e2e8f0;border-radius:8px;padding:1rem}
.cards a{text-decoration:none;color:inherit;display:block}
.cards .n{display:block;font-size:1.9rem;font-weight:700;color:#1d4ed8}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1.5rem;margin:0 0 1rem}
dl.facts dt{font-weight:600;color:#334155}dl.facts dd{margin:0}
form.stack{max-width:34rem}
form.inline{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end;margin:0 0 1rem}
.field{margin:0 0 1.1rem}
.field label,.field legend{display:block;font-weight:600;margin-bottom:.25rem}
.hint{display:block;color:#5c5c66;font-size:.875rem;margin:-.1rem 0 .35rem}
input[type=text],input[type=url],input[type=search],select,textarea{font:inherit;width:100%;max-width:34rem;padding:.45rem .6rem;border:1px solid #94a3b8;border-radius:6px;background:#fff;color:inherit}
form.inline input,form.inline select{width:auto;min-width:14rem}
textarea{min-height:6rem}
fieldset{border:0;padding:0;margin:0 0 1.1rem}
legend{font-weight:600;padding:0;margin-bottom:.25rem}
form.inline a{padding:.45rem 0}
.check{display:flex;gap:.6rem;align-items:flex-start;margin:.35rem 0}
.check input{margin-top:.3rem;width:1.1rem;height:1.1rem;flex:none}
.check label{font-weight:400}
.columns{columns:2 14rem}
[aria-invalid=true]{border-color:#b91c1c;border-width:2px}
.field-error{display:block;color:#b91c1c;font-weight:600;margin:0 0 .35rem}
button,.button{font:inherit;display:inline-block;padding:.45rem 1rem;border-radius:6px;border:1px solid #1d4ed8;background:#1d4ed8;color:#fff;cursor:pointer;text-decoration:none;line-height:1.5}
button:hover,.button:hover{background:#1e40af;color:#fff}
button.secondary,.button.secondary{background:#fff;color:#1d4ed8}
button.secondary:hover,.button.secondary:hover{background:#eff6ff;color:#1e3a8a}
button.danger{background:#b91c1c;border-color:#b91c1c}
button.danger:hover{background:#991b1b}
button.small,.button.small{padding:.2rem .65rem;font-size:.875rem}
.buttons{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;margin:1.25rem 0 0}
.notice{border-left:4px solid #15803d;background:#f0fdf4;padding:.75rem 1rem;margin:0 0 1.25rem;border-radius:0 6px 6px 0}
.problem{border-left:4px solid #b91c1c;background:#fef2f2;padding:.75rem 1rem;margin:0 0 1.25rem;border-radius:0 6px 6px 0}
.problem h2{margin:0 0 .25rem;font-size:1.05rem}.problem p{margin:.25rem 0}
.warning{border-left:4px solid #b45309;background:#fffbeb;padding:.75rem 1rem;margin:1rem 0;border-radius:0 6px 6px 0}
.secret{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:.5rem 0}
.secret input{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.95rem;flex:1 1 24rem;max-width:none;background:#f8fafc}
.badge{display:inline-block;font-size:.75rem;font-weight:600;padding:.05rem .5rem;border-radius:999px;background:#e2e8f0;color:#334155;vertical-align:.1em}
.badge.admin{background:#dbeafe;color:#1e3a8a}
.badge.ok{background:#dcfce7;color:#14532d}
.badge.bad{background:#fee2e2;color:#7f1d1d}
.badge.you{background:#fef3c7;color:#78350f}
.pager{display:flex;gap:1rem;align-items:center;margin:1rem 0 0}
details{margin:.25rem 0}
summary{cursor:pointer;color:#1d4ed8}
pre{background:#f8fafc;border:1px solid #e2e8f0;border-radius:6px;padding:.5rem .75rem;white-space:pre-wrap;overflow-wrap:anywhere;font-size:.85rem;margin:.5rem 0}
.endpoint{border:1px solid #e2e8f0;border-radius:8px;padding:1rem 1.25rem;margin:0 0 1.25rem}
.endpoint h2{margin:0 0 .75rem;font:600 1.05rem/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.endpoint h3{margin:1rem 0 .25rem}
@media (max-width:46rem){nav.sections{flex-basis:100%}nav.sections ul{display:flex;flex-wrap:wrap;gap:.25rem}main{padding:1.25rem 1rem}}
`);

/**
 * The copy button of a secret shown once. Without JavaScript the button stays
 * hidden and the read-only field holds the secret to select by hand.
 */
const COPY_SCRIPT = new InlineAsset(`
for (const button of document.querySelectorAll('button[data-copy]')) {
  const field = document.getElementById(button.dataset.copy);
  const status = document.getElementById(button.dataset.copy + '-status');
  button.hidden = false;
  field.addEventListener('focus', () => field.select());
  button.addEventListener('click', async () => {
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
    } catch {
      document.execCommand('copy');
    }
    status.textContent = 'Copied to the clipboard.';
  });
}
`);

/** Every console answer's headers: its own stylesheet and script, nothing else; never cached, never framed. */
export const consoleSecurityHeaders = securityHeadersFor({ style: STYLE, scripts: [COPY_SCRIPT] });

/** The sections, in the order the navigation lists them. */
export const sections = [
  { path: CONSOLE_PATH, name: 'Overview' },
  { path: `${CONSOLE_PATH}/members`, name: 'Members' },
  { path: `${CONSOLE_PATH}/api-tokens`, name: 'API tokens' },
  { path: `${CONSOLE_PATH}/sessions`, name: 'Sessions' },
  { path: `${CONSOLE_PATH}/settings`, name: 'Settings' },
  { path: `${CONSOLE_PATH}/events`, name: 'Events' },
  { path: `${CONSOLE_PATH}/webhooks`, name: 'Webhooks' },
  { path: `${CONSOLE_PATH}/provisioning`, name: 'Provisioning' },
] as const;

export type SectionPath = (typeof sections)[number]['path'];

export interface ConsolePage {
  title: string;
  /** The section the page belongs to (highlighted in the navigation); none on pages shown to visitors who may not see the console. */
  section: SectionPath | null;
  /** Who the page is shown to: the header names them. */
  viewer: { groupName: string; username: string | null };
  body: SafeHtml;
  /** Whether the page shows a secret with a copy button (and so runs the script). */
  copyButton?: boolean;
  status?: number;
  headers?: Record<string, string>;
}

export function consoleReply(page: ConsolePage): Reply {
  const { viewer } = page;
  const nav =
    page.section === null
      ? null
      : html`<nav class="sections" aria-label="Console sections"><ul>
${sections.map(
  (s) => html`<li><a href="${s.path}"${s.path === page.section ? html` aria-current="page"` : null}>${s.name}</a></li>\n`,
)}</ul></nav>`;
  const signedIn =
    viewer.username === null
      ? null
      : html`<div class="who"><span>Signed in as <strong id="console-user">${viewer.username}</strong></span>
<form method="post" action="${SIGN_OUT_PATH}"><button type="submit">Sign out</button></form></div>`;
  const document = htmlDocument(
    `${page.title} · ${viewer.groupName} · Team API console`,
    STYLE,
    html`<a class="skip" href="#main">Skip to content</a>
<header class="top"><div class="top-inner">
<div class="brand">${viewer.groupName} <span>· admin console</span></div>
${signedIn}
</div></header>
<div class="frame">
${nav}
<main id="main" tabindex="-1"${page.section === null ? html` class="alone"` : null}>
${page.body}
</main>
</div>
${page.copyButton ? html`<script>${new SafeHtml(COPY_SCRIPT.text)}</script>` : null}`,
  );
  return htmlReply(document, { status: page.status, headers: { ...consoleSecurityHeaders, ...page.headers } });
}

/** A time for a person (UTC, to the minute), with the exact instant for machines. */
export function time(ms: number | null, never = 'never'): SafeHtml | string {
  if (ms === null) return never;
  const at = new Date(ms).toISOString();
  return html`<time datetime="${at}"><span>${at.slice(0, 10)}</span> <span>${at.slice(11, 16)} UTC</span></time>`;
}

/** The hidden field that carries the session's form token (every console form has one). */
export function formTokenField(formToken: string): SafeHtml {
  return html`<input type="hidden" name="${FORM_TOKEN_FIELD}" value="${formToken}">`;
}

/** A console path with a query string of the non-empty values. */
export function consoleHref(path: string, query: Record<string, string | null | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value) params.set(name, value);
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/** Links to other pages of a listing, in a navigation landmark of their own; nothing when there is one page. */
export function pager(label: string, links: Array<SafeHtml | null>): SafeHtml | null {
  const present = links.filter((link) => link !== null);
  return present.length === 0 ? null : html`<nav class="pager" aria-label="${label}">${present}</nav>`;
}

/** What a form's answer said, shown once the browser is back on the page (`?done=…`). */
export function noticeOf(query: URLSearchParams, notices: Record<string, string>): SafeHtml | null {
  const done = query.get('done');
  const text = done !== null && Object.hasOwn(notices, done) ? notices[done] : undefined;
  return text === undefined ? null : html`<p class="notice" role="status" id="notice">${text}</p>`;
}

/**
 * What went wrong with a form, at its top: the catalog's message and code, and
 * what exactly was wrong with which field (the same field names as GraphQL).
 */
export function problemSummary(error: DomainError): SafeHtml {
  return html`<div class="problem" role="alert" id="problem">
<h2>${envelopeOf(error.code).message}</h2>
${reasonLine(error)}
<p class="small muted">${errorCodeLine(error)}</p>
</div>`;
}

/** What exactly was wrong, and with which field; null when the error says no more than its message. */
export function reasonLine(error: DomainError): SafeHtml | null {
  return error.reason ? html`<p>${error.field ? html`<code>${error.field}</code>: ` : null}${error.reason}</p>` : null;
}

/**
 * A form field's description for assistive technology, and the error of the form
 * that belongs to it, if any (its `field`, or one of `codes`, which name none): the
 * message to show beside it, and the attributes that mark the control invalid.
 */
export function fieldProblem(
  error: DomainError | null,
  field: string,
  hintId: string,
  codes: readonly ErrorCode[] = [],
): { message: SafeHtml | null; attributes: SafeHtml } {
  if (!error || (error.field !== field && !codes.includes(error.code))) {
    return { message: null, attributes: html` aria-describedby="${hintId}"` };
  }
  const id = `${field}-error`;
  return {
    message: html`<span class="field-error" id="${id}">${error.reason ?? envelopeOf(error.code).message}</span>`,
    attributes: html` aria-invalid="true" aria-describedby="${hintId} ${id}"`,
  };
}
