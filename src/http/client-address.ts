/**
 * Who is calling, for rate limits: the socket's peer address, or, behind trusted
 * reverse proxies (TRUST_PROXY), the `X-Forwarded-For` entry the nearest of them
 * vouches for. Entries further left are whatever the client wrote, so never used.
 */
import { UNKNOWN_ADDRESS } from '../requests/exchange.ts';

const MAX_ADDRESS_LENGTH = 64;

export function clientAddressOf(socketAddress: string | undefined, forwardedFor: string | null, trustedHops: number): string {
  let address = socketAddress ?? '';
  if (trustedHops > 0 && forwardedFor) {
    const entries = forwardedFor.split(',').map((e) => e.trim()).filter((e) => e !== '');
    // With n proxies, the last n-1 entries are proxies; the one before them is the client.
    const entry = entries[Math.max(0, entries.length - trustedHops)];
    if (entry) address = entry;
  }
  return rateLimitSubject(address);
}

/**
 * The address as a rate-limit key: without port or IPv4-mapped prefix, and an IPv6
 * address cut to its /64, the block one subscriber usually holds (counting each of
 * its 2^64 addresses apart would make a limit per address meaningless).
 */
function rateLimitSubject(raw: string): string {
  let address = raw.trim().toLowerCase();
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d+)?$/.exec(address);
  if (bracketed) address = bracketed[1]!;
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  if (address.startsWith('::ffff:') && address.includes('.')) address = address.slice(7);
  if (address.includes(':')) address = ipv6Prefix64(address) ?? address;
  if (address === '') return UNKNOWN_ADDRESS;
  return address.slice(0, MAX_ADDRESS_LENGTH);
}

function ipv6Prefix64(address: string): string | null {
  const zoneless = address.split('%')[0]!;
  const halves = zoneless.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return null;
  const groups = [...head, ...Array<string>(missing).fill('0'), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
