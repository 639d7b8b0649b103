/**
 * Server-rendered HTML: an escaping template tag, the one page layout, and the
 * security headers every page carries. Nothing user-controlled reaches a page
 * except through `html`, which escapes every interpolated value.
 */
import { type Reply, reply } from '../requests/exchange.ts';
import { createHash } from 'node:crypto';

/** Markup that is already safe: produced by `html` (or a constant of this module). */
export class SafeHtml {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

type HtmlValue = SafeHtml | string | number | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value == null) return '';
  if (value instanceof SafeHtml) return value.markup;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Template tag: literal parts are kept, every interpolation is escaped unless it is SafeHtml. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let markup = strings[0]!;
  values.forEach((value, i) => {
    markup += render(value) + strings[i + 1]!;
  });
  return new SafeHtml(markup);
}

/** An inline stylesheet or script, allowed by the Content-Security-Policy through the hash of its text. */
export class InlineAsset {
  /** The CSP source expression that allows it: `'sha256-…'`. */
  readonly source: string;
  constructor(readonly text: string) {
    this.source = `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
  }
}

// One inline stylesheet, allowed by its hash: no 'unsafe-inline', no extra request.
const STYLE = new InlineAsset(`
body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1b1b1f}
h1{font-size:1.5rem;margin:0 0 1rem}
code{background:#f0f0f3;padding:.1rem .3rem;border-radius:3px}
.muted{color:#5c5c66}
button{font:inherit;padding:.4rem 1rem;cursor:pointer}
button.primary{display:block;width:100%;margin:1.5rem 0;padding:.8rem 1rem;font-size:1.125rem;font-weight:600;color:#fff;background:#1d4ed8;border:0;border-radius:6px}
button.primary:focus-visible{outline:3px solid #93b4f5;outline-offset:2px}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0}
`);

/**
 * Headers for an HTML page whose only inline assets are these: nothing else may
 * load, forms post only to this origin, no framing, no MIME sniffing, no referrer
 * (a login URL carries its token in the query string), never cached.
 */
export function securityHeadersFor(assets: { style: InlineAsset; scripts?: InlineAsset[] }): Readonly<Record<string, string>> {
  const scripts = assets.scripts ?? [];
  return {
    'content-security-policy': [
      "default-src 'none'",
      `style-src ${assets.style.source}`,
      ...(scripts.length > 0 ? [`script-src ${scripts.map((script) => script.source).join(' ')}`] : []),
      "form-action 'self'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cache-control': 'no-store',
  };
}

/** Headers for every page of the layout below, which runs no script. */
export const pageSecurityHeaders = securityHeadersFor({ style: STYLE });

export function htmlPage(title: string, body: SafeHtml): SafeHtml {
  return htmlDocument(`${title} · Team API`, STYLE, body);
}

/** A whole document: its title, its one inline stylesheet, and its body. */
export function htmlDocument(title: string, style: InlineAsset, body: SafeHtml): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${new SafeHtml(style.text)}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

export function htmlReply(page: SafeHtml, init: { status?: number; headers?: Record<string, string> } = {}): Reply {
  return reply(init.status ?? 200, page.markup, {
    'content-type': 'text/html; charset=utf-8',
    ...pageSecurityHeaders,
    ...init.headers,
  });
}
