/**
 * Cross-origin protection for the state-changing routes a browser can reach from
 * any page with a plain form post (sign-out, and the sign-in confirmation). It follows Go's net/http
 * CrossOriginProtection: trust Sec-Fetch-Site when the browser sends it, else
 * compare Origin with Host; a request with neither header is not from a browser
 * (curl, a backend) and cannot carry a victim's cookies, so it passes.
 */
import type { HeaderReader } from '../requests/exchange.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isCrossOriginRequest(request: { method: string; headers: HeaderReader }): boolean {
  if (SAFE_METHODS.has(request.method)) return false;
  const site = request.headers.get('sec-fetch-site');
  if (site !== null) return site !== 'same-origin' && site !== 'none';
  const origin = request.headers.get('origin');
  if (origin === null) return false;
  const host = request.headers.get('host')?.toLowerCase() ?? null;
  try {
    return new URL(origin).host !== host;
  } catch {
    // `Origin: null` (sandboxed frames, some redirects) and junk are never this origin.
    return true;
  }
}

/**
 * Whether a POST was sent by a page of `origin` itself: the login-CSRF check of
 * the sign-in confirmation (API.md §10), stricter than the rule above. `Origin`
 * must equal `origin`; a browser posting a form from a page with
 * `Referrer-Policy: no-referrer` (as the confirmation page is) sends `Origin: null`,
 * and then `Sec-Fetch-Site: same-origin` must vouch for it. A request with neither
 * is refused: only a browser has a reason to post this form.
 */
export function isFromOrigin(request: { headers: HeaderReader }, origin: string): boolean {
  const sent = request.headers.get('origin');
  if (sent !== null && sent !== 'null') return sent === origin;
  return request.headers.get('sec-fetch-site') === 'same-origin';
}
