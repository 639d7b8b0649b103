/**
 * Which URLs may receive events (API.md §14): the URL's shape, and the addresses its
 * host may resolve to. Unless private networks are allowed, only global unicast
 * addresses pass: loopback, private, link-local (cloud metadata), CGNAT, multicast,
 * unspecified, documentation, benchmarking and every other special range are
 * refused, for IPv4 and IPv6 alike (IPv4-mapped IPv6 is judged as the IPv4 address
 * it carries). ipaddr.js knows the ranges; nothing here lists them by hand. The
 * endpoint service applies the rule when an endpoint is made; the webhook sender
 * applies it again to every address it connects to (src/webhooks/destinations.ts).
 */
import dns from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { domainError, invalidInput } from '../errors/domain-error.ts';

export const WEBHOOK_URL_MAX = 2048;

/** The URL a webhook endpoint may have, or InvalidInput (field `url`). */
export function parseWebhookUrl(raw: string, options: { production: boolean }): URL {
  const text = raw.trim();
  if (text.length === 0 || text.length > WEBHOOK_URL_MAX) {
    throw invalidInput('url', `must be an absolute URL of at most ${WEBHOOK_URL_MAX} characters`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidInput('url', 'must be an absolute URL');
  }
  const schemes = options.production ? ['https:'] : ['https:', 'http:'];
  if (!schemes.includes(url.protocol)) {
    throw invalidInput('url', options.production ? 'must be an https: URL' : 'must be an https: or http: URL');
  }
  if (url.username !== '' || url.password !== '') throw invalidInput('url', 'must not carry credentials');
  if (url.hostname === '') throw invalidInput('url', 'must name a host');
  if (url.href.length > WEBHOOK_URL_MAX) throw invalidInput('url', `must be at most ${WEBHOOK_URL_MAX} characters`);
  return url;
}

/** The URL's host as a resolver or an address parser takes it (IPv6 literals lose their brackets). */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * IPv6 forms that carry an IPv4 address, each with where it sits: IPv4-compatible
 * (deprecated, RFC 4291), IPv4-mapped, IPv4-translated (RFC 6145), NAT64 (RFC 6052
 * and RFC 8215), 6to4 (RFC 3056) and Teredo (RFC 4380, the client's address
 * obfuscated). A host on such an address can reach the IPv4 it names, so none
 * may embed a non-public one.
 */
const IPV4_EMBEDDING: ReadonlyArray<{ range: [ipaddr.IPv6, number]; ipv4: (bytes: number[]) => number[] }> = [
  { range: ipaddr.IPv6.parseCIDR('::/96'), ipv4: (b) => b.slice(12, 16) },
  { range: ipaddr.IPv6.parseCIDR('::ffff:0:0/96'), ipv4: (b) => b.slice(12, 16) },
  { range: ipaddr.IPv6.parseCIDR('::ffff:0:0:0/96'), ipv4: (b) => b.slice(12, 16) },
  { range: ipaddr.IPv6.parseCIDR('64:ff9b::/96'), ipv4: (b) => b.slice(12, 16) },
  { range: ipaddr.IPv6.parseCIDR('64:ff9b:1::/48'), ipv4: (b) => b.slice(12, 16) },
  { range: ipaddr.IPv6.parseCIDR('2002::/16'), ipv4: (b) => b.slice(2, 6) },
  { range: ipaddr.IPv6.parseCIDR('2001::/32'), ipv4: (b) => b.slice(12, 16).map((x) => x ^ 0xff) },
];

/** Whether the address is one a webhook may reach on the public Internet. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.parse(canonical(address));
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    const bytes = v6.toByteArray();
    for (const form of IPV4_EMBEDDING) {
      if (!v6.match(form.range)) continue;
      if (!isPublicIpv4(new ipaddr.IPv4(form.ipv4(bytes)))) return false;
      // The mapped form reaches exactly its IPv4 address; every other form is a
      // transition mechanism whose relays nothing here vouches for.
      return form.range[0].toString() === '::ffff:0:0';
    }
  }
  return parsed.range() === 'unicast';
}

/**
 * An IPv6 address in the URL standard's notation (no dotted tail): ipaddr.js reads
 * `::127.0.0.1` (IPv4-compatible) as if it were `::ffff:127.0.0.1` (mapped).
 */
function canonical(address: string): string {
  if (!address.includes(':')) return address;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address;
  }
}

function isPublicIpv4(address: ipaddr.IPv4): boolean {
  return address.range() === 'unicast';
}

/**
 * Checks a URL at creation: its host must resolve, and only to public addresses;
 * WebhookEndpointInvalid otherwise. With private networks allowed, nothing is checked.
 */
export async function assertPublicDestination(url: URL, allowPrivateNetworks: boolean): Promise<void> {
  if (allowPrivateNetworks) return;
  const host = hostOf(url);
  let addresses: string[];
  if (isIP(host)) {
    addresses = [host];
  } else {
    try {
      addresses = (await dns.promises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    } catch {
      throw domainError('WebhookEndpointInvalid', { reason: `${host} does not resolve` });
    }
  }
  if (addresses.length === 0 || !addresses.every(isPublicAddress)) {
    throw domainError('WebhookEndpointInvalid', { reason: `${host} resolves to a non-public address` });
  }
}

/** Whether the URL's host is an IP literal of a non-public address (a literal is never looked up, so it is checked here). */
export function literalRefused(url: URL, allowPrivateNetworks: boolean): boolean {
  const host = hostOf(url);
  return !allowPrivateNetworks && isIP(host) !== 0 && !isPublicAddress(host);
}
