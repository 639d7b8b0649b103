/** Which group a request is "on", from its Host header (API.md §2, Request domain). */
import { isSlug } from '../domain/inputs.ts';

export interface RequestDomain {
  /** The group slug when the host is `{slug}.{BASE_DOMAIN}`, else null. */
  groupSlug: string | null;
  /** A host under BASE_DOMAIN that is not a single valid slug label (e.g. `a.b.localhost`). */
  malformed: boolean;
}

export function requestDomain(hostHeader: string | null, baseDomain: string): RequestDomain {
  const host = hostName(hostHeader ?? '');
  if (host === baseDomain || !host.endsWith(`.${baseDomain}`)) return { groupSlug: null, malformed: false };
  const label = host.slice(0, -(baseDomain.length + 1));
  return isSlug(label) ? { groupSlug: label, malformed: false } : { groupSlug: null, malformed: true };
}

/** Lower-case host without port or trailing dot; IPv6 literals keep their brackets. */
function hostName(host: string): string {
  const trimmed = host.trim().toLowerCase();
  const withoutPort = trimmed.startsWith('[') ? trimmed.slice(0, trimmed.indexOf(']') + 1) : trimmed.replace(/:\d*$/, '');
  return withoutPort.replace(/\.$/, '');
}
