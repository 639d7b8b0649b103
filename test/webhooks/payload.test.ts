import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/db/store.ts';
import { payloadOf, signatureOf, signingKeyOf } from '../../src/webhooks/sender.ts';

/** The body as §14 defines it, built the plain way: the event's data parsed, its target added, all written again. */
function plainPayload(event: EventRecord): string {
  const data = { ...(JSON.parse(event.data) as Record<string, unknown>), target: event.target };
  return JSON.stringify({ type: event.type, timestamp: new Date(event.occurredAt).toISOString(), data });
}

function eventWith(data: string, target: EventRecord['target'] = { type: 'user', id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', name: 'ada' }): EventRecord {
  return {
    id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c',
    groupId: 'g',
    type: 'user.created',
    occurredAt: Date.UTC(2026, 11, 6, 12, 0, 0, 7),
    actor: { type: 'cli', id: null, name: null },
    target,
    ip: null,
    userAgent: null,
    requestId: null,
    data,
    position: { tx: '0', seq: 1 },
  };
}

describe('a delivery body', () => {
  it('is the event data with its target joined, byte for byte as parsing and writing it again gives', () => {
    const datas: unknown[] = [
      {},
      { username: 'ada', email: 'ada@example.com', firstName: null, lastName: null, role: 'member' },
      { name: 'Zoë "quoted" \\ back\u2028slash', emoji: '🙂', control: '\u0001' },
      { nested: { target: 'not the top level' }, list: [1, 2.5, -0, 1e21, true, null] },
      // A key of its own named target: the event's target replaces it, in its place.
      { before: 1, target: 'replaced', after: 2 },
      { targets: ['a'], 'x"target"': 1 },
    ];
    const targets: Array<EventRecord['target']> = [
      { type: 'user', id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', name: 'ada' },
      { type: 'group', id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5d', name: null },
      { type: 'user', id: 'x', name: 'with "quotes" and \u00e9' },
    ];
    for (const data of datas) {
      for (const target of targets) {
        const event = eventWith(JSON.stringify(data), target);
        expect(payloadOf(event)).toBe(plainPayload(event));
      }
    }
  });

  it('is signed with the secret base64-decoded, whether given as text or as a key made once', () => {
    const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    const body = payloadOf(eventWith('{"a":1}'));
    const expected = `v1,${createHmac('sha256', Buffer.from('0123456789abcdef0123456789abcdef')).update(`id1.1700000000.${body}`).digest('base64')}`;
    expect(signatureOf(secret, 'id1', 1_700_000_000, body)).toBe(expected);
    expect(signatureOf(signingKeyOf(secret), 'id1', 1_700_000_000, body)).toBe(expected);
  });
});
