/**
 * Cross-origin protection for the state-changing routes a browser can reach from
 * any page with a plain form post (sign-out). It follows Go's net/http
 * CrossOriginProtection: trust Sec-Fetch-Site when the browser sends it, else
 * compare Origin with Host; a request with neither header is not from a browser
 * (curl, a backend) and cannot carry a victim's cookies, so it passes.
 */
import type { HeaderReader } from './exchange.ts';

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
