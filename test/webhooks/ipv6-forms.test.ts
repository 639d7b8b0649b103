/**
 * Every IPv6 form that embeds or maps to an IPv4 address is judged by that IPv4
 * address, at creation (through the API) and at connect time (the lookup every
 * delivery connects through): none may reach a loopback, private or link-local one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { guardedLookup } from '../../src/webhooks/destinations.ts';
import { expectResultError } from '../support/admin-documents.ts';
import { adminApp, type TestApp } from '../support/harness.ts';
import { CREATE_WEBHOOK_ENDPOINT } from '../support/webhooks.ts';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** [form, address]: each embeds 127.0.0.1, 169.254.169.254 (cloud metadata) or 10.0.0.1. */
const REFUSED: Array<[string, string]> = [
  ['IPv4-compatible loopback (::/96)', '::127.0.0.1'],
  ['IPv4-compatible metadata, hex (::/96)', '::a9fe:a9fe'],
  ['IPv4-compatible private (::/96)', '::a00:1'],
  ['IPv4-mapped loopback (::ffff:0:0/96)', '::ffff:127.0.0.1'],
  ['IPv4-mapped metadata, hex (::ffff:0:0/96)', '::ffff:a9fe:a9fe'],
  ['IPv4-translated loopback (::ffff:0:0:0/96)', '::ffff:0:7f00:1'],
  ['NAT64 loopback (64:ff9b::/96)', '64:ff9b::7f00:1'],
  ['NAT64 metadata (64:ff9b::/96)', '64:ff9b::a9fe:a9fe'],
  ['local-use NAT64 private (64:ff9b:1::/48)', '64:ff9b:1::a00:1'],
  ['6to4 loopback (2002::/16)', '2002:7f00:1::1'],
  ['6to4 metadata (2002::/16)', '2002:a9fe:a9fe::1'],
  ['Teredo, client 127.0.0.1 obfuscated (2001::/32)', '2001:0:4136:e378:8000:63bf:80ff:fffe'],
];

const lookup = (address: string) =>
  new Promise<string>((resolve, reject) =>
    guardedLookup(false)(address, {}, (error, resolved) => (error ? reject(error) : resolve(String(resolved)))),
  );

describe('an IPv6 address embedding a non-public IPv4', () => {
  it.each(REFUSED)('is WebhookEndpointInvalid at creation: %s', async (_form, address) => {
    const setup = await adminApp();
    t = setup.t;
    const token = await setup.acme.token();
    const url = `https://[${address}]/hook`;
    expectResultError(await t.gql(CREATE_WEBHOOK_ENDPOINT, { token, variables: { url } }), 'createWebhookEndpoint', 'WebhookEndpointInvalid');
    expect(await t.count('webhook_endpoints')).toBe(0);
  });

  it.each(REFUSED)('is refused when a delivery connects: %s', async (_form, address) => {
    await expect(lookup(address)).rejects.toThrow(/non-public address/);
  });

  it('leaves public addresses alone, mapped ones included', async () => {
    for (const address of ['2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      await expect(lookup(address)).resolves.toBeTruthy();
    }
  });
});
