/** The audit log and event feed: Query.events (group admin or API token), oldest first. */
import type { EventRecord } from '../../db/store.ts';
import { EVENTS_PAGE_MAX } from '../../domain/events.ts';
import { builder } from '../builder.ts';
import { groupAdminOf } from '../guards.ts';
import { decodeCursor, EventCursor, eventCursorOf } from '../../domain/cursors.ts';
import { connectionType } from './pagination.ts';
import { iso } from './types.ts';

const EventActorTypeEnum = builder.enumType('EventActorType', {
  values: {
    api_token: { description: 'An API token of the group: `id` its id, `name` its label.' },
    user: { description: 'A signed-in user (an admin, or the user signing in or out): `id` the user id, `name` the username.' },
    cli: { description: 'An operator, through the admin CLI.' },
    system: { description: 'The server itself: expired sessions purged, a session a newer login replaced.' },
  } as const,
});

const EventActorType = builder.objectRef<EventRecord['actor']>('EventActor').implement({
  fields: (t) => ({
    type: t.field({ type: EventActorTypeEnum, resolve: (a) => a.type }),
    id: t.exposeString('id', { nullable: true }),
    name: t.exposeString('name', { nullable: true }),
  }),
});

const EventTargetType = builder.objectRef<EventRecord['target']>('EventTarget').implement({
  description: 'What the event is about: a `user`, an `api_token`, the `group` or a `webhook_endpoint`.',
  fields: (t) => ({
    type: t.exposeString('type'),
    id: t.exposeString('id'),
    name: t.exposeString('name', { nullable: true, description: 'Username, token label, group slug or endpoint URL.' }),
  }),
});

const EventType = builder.objectRef<EventRecord>('Event').implement({
  description: 'One change in the group, recorded in the same transaction as the change itself.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Unique; also the `webhook-id` of its webhook deliveries.' }),
    type: t.exposeString('type', { description: 'e.g. `user.created`; see the event types in the docs.' }),
    occurredAt: t.string({ description: 'ISO-8601', resolve: (e) => iso(e.occurredAt) }),
    actor: t.field({ type: EventActorType, resolve: (e) => e.actor }),
    target: t.field({ type: EventTargetType, resolve: (e) => e.target }),
    ip: t.exposeString('ip', { nullable: true, description: 'The client address of the request that caused it.' }),
    userAgent: t.exposeString('userAgent', { nullable: true }),
    requestId: t.exposeString('requestId', { nullable: true, description: 'The `X-Request-Id` of that request.' }),
    data: t.exposeString('data', { description: 'A JSON object whose fields depend on `type`; never a secret.' }),
  }),
});

const EventConnectionType = connectionType('Event', EventType);

builder.queryField('events', (t) =>
  t.field({
    description:
      'The caller’s group’s events, oldest first, in the order they committed (group admin or API token). ' +
      'Keep `pageInfo.endCursor` and pass it as `after` to get only what happened since: a cursor never skips ' +
      `an event. \`first\` is 0..${EVENTS_PAGE_MAX}; a malformed \`after\`, an unknown type in \`types\` or a ` +
      '`since` that is not ISO-8601 is a transport-level InvalidInput naming the argument.',
    type: EventConnectionType,
    args: {
      first: t.arg.int({ defaultValue: 50 }),
      after: t.arg.string({ description: 'The endCursor of the previous page.' }),
      types: t.arg.stringList({ description: 'Only events of these types.' }),
      since: t.arg.string({ description: 'ISO-8601: only events that occurred at or after it.' }),
    },
    resolve: async (_root, { first, after, types, since }, ctx) => {
      const { group } = await groupAdminOf(ctx, { allowApiToken: true });
      const page = await ctx.services.events.list(group, {
        first: first ?? 50,
        after: decodeCursor(after, EventCursor),
        types: types ?? null,
        since: since ?? null,
      });
      const edges = page.events.map((node) => ({ cursor: eventCursorOf(node), node }));
      // With no new events, the caller keeps the cursor it sent.
      const endCursor = edges.at(-1)?.cursor ?? after ?? null;
      return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor } };
    },
  }),
);
