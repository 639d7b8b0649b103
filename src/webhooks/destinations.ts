/**
 * Where a webhook may be sent (API.md §14): the URL's shape, and the addresses its
 * host may resolve to. Unless private networks are allowed, only global unicast
 * addresses pass: loopback, private, link-local (cloud metadata), CGNAT, multicast,
 * unspecified, documentation, benchmarking and every other special range are
 * refused, for IPv4 and IPv6 alike (IPv4-mapped IPv6 is judged as the IPv4 address
 * it carries). ipaddr.js knows the ranges; nothing here lists them by hand.
 */
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
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

/** Raised when a host resolves to an address webhooks may not reach. */
export class DestinationRefused extends Error {
  readonly code = 'WEBHOOK_DESTINATION_REFUSED';
  constructor(host: string) {
    super(`${host} resolves to a non-public address`);
  }
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

/**
 * A `lookup` for outgoing requests that refuses non-public answers: the address
 * checked is the one connected to, so a DNS answer that changes after the check
 * cannot reach a private network. (An IP literal is never looked up: check it with
 * `assertPublicLiteral` first.)
 */
export function guardedLookup(allowPrivateNetworks: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { family: options.family, hints: options.hints, all: true, verbatim: true }, (error, addresses) => {
      if (error) return callback(error, '', 4);
      if (addresses.length === 0 || (!allowPrivateNetworks && !addresses.every((a) => isPublicAddress(a.address)))) {
        return callback(Object.assign(new DestinationRefused(hostname), { hostname }) as NodeJS.ErrnoException, '', 4);
      }
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** Refuses a URL whose host is an IP literal of a non-public address (literals bypass `lookup`). */
export function literalRefused(url: URL, allowPrivateNetworks: boolean): boolean {
  const host = hostOf(url);
  return !allowPrivateNetworks && isIP(host) !== 0 && !isPublicAddress(host);
}
