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

/** Whether the address is one a webhook may reach on the public Internet. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  // process() turns an IPv4-mapped IPv6 address into the IPv4 address it carries.
  return ipaddr.process(address).range() === 'unicast';
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
