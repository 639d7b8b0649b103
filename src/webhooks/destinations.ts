/**
 * The address a delivery connects to, held to the rule of src/domain/webhook-destinations.ts
 * at the moment of connecting: a DNS answer that changes after an endpoint was
 * checked cannot reach a private network.
 */
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import { isPublicAddress } from '../domain/webhook-destinations.ts';

/**
 * A `lookup` for outgoing requests that refuses non-public answers: the address
 * checked is the one connected to. (An IP literal is never looked up: check it
 * with `literalRefused` first.)
 */
export function guardedLookup(allowPrivateNetworks: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { family: options.family, hints: options.hints, all: true, verbatim: true }, (error, addresses) => {
      if (error) return callback(error, '', 4);
      if (addresses.length === 0 || (!allowPrivateNetworks && !addresses.every((a) => isPublicAddress(a.address)))) {
        const refused = new Error(`${hostname} resolves to a non-public address`);
        return callback(Object.assign(refused, { code: 'WEBHOOK_DESTINATION_REFUSED', hostname }), '', 4);
      }
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
