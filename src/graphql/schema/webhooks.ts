/** Webhook endpoints (API.md §14): webhookEndpoints, createWebhookEndpoint, deleteWebhookEndpoint (group admin or API token). */
import type { WebhookAttemptRecord, WebhookEndpointRecord } from '../../db/store.ts';
import { createWebhookEndpointPolicy, deleteWebhookEndpointPolicy } from '../../requests/write-policies.ts';
import { builder } from '../builder.ts';
import { groupAdminOf } from '../guards.ts';
import { fieldWrite } from '../writes.ts';
import { resultUnion } from './errors.ts';
import { iso, isoOrNull } from './types.ts';

const DEFAULT_DELIVERIES = 20;

const WebhookDeliveryType = builder.objectRef<WebhookAttemptRecord>('WebhookDelivery').implement({
  description: 'One delivery attempt of one event to the endpoint.',
  fields: (t) => ({
    id: t.exposeID('id'),
    eventId: t.exposeID('eventId', { description: 'The event delivered; also the `webhook-id` header.' }),
    attempt: t.exposeInt('attempt', { description: '1 for the first attempt, 2 for the first retry, …' }),
    attemptedAt: t.string({ description: 'ISO-8601', resolve: (d) => iso(d.attemptedAt) }),
    status: t.exposeInt('status', {
      nullable: true,
      description: 'The receiver’s HTTP status; null when there was none (refused, timed out, no connection).',
    }),
    error: t.exposeString('error', { nullable: true, description: 'What went wrong, at most 200 characters; null on success.' }),
    nextAttemptAt: t.string({
      nullable: true,
      description: 'ISO-8601: when this event is tried again; null when it is not (delivered, given up, endpoint disabled).',
      resolve: (d) => isoOrNull(d.nextAttemptAt),
    }),
  }),
});

const WebhookEndpointType = builder.objectRef<WebhookEndpointRecord>('WebhookEndpoint').implement({
  description: 'A URL the group’s events are posted to, signed per Standard Webhooks; its secret is shown only at creation.',
  fields: (t) => ({
    id: t.exposeID('id'),
    url: t.exposeString('url'),
    types: t.stringList({
      description: 'The event types it receives; empty when it receives every type.',
      resolve: (e) => e.types ?? [],
    }),
    createdAt: t.string({ description: 'ISO-8601', resolve: (e) => iso(e.createdAt) }),
    disabledAt: t.string({
      nullable: true,
      description: 'ISO-8601: when a `410 Gone` answer disabled it; nothing is delivered after.',
      resolve: (e) => isoOrNull(e.disabledAt),
    }),
    deliveries: t.field({
      description: 'Its latest delivery attempts, newest first; `first` is 0..100.',
      type: [WebhookDeliveryType],
      args: { first: t.arg.int({ defaultValue: DEFAULT_DELIVERIES }) },
      resolve: (endpoint, { first }, ctx) => ctx.services.webhooks.deliveries(endpoint, first ?? DEFAULT_DELIVERIES),
    }),
  }),
});

builder.queryField('webhookEndpoints', (t) =>
  t.field({
    description: 'The caller’s group’s webhook endpoints, oldest first (group admin or API token).',
    type: [WebhookEndpointType],
    resolve: async (_root, _args, ctx) => {
      const { group } = await groupAdminOf(ctx, { allowApiToken: true });
      return ctx.services.webhooks.list(group);
    },
  }),
);

const CreateWebhookEndpointSuccess = builder
  .objectRef<{ endpoint: WebhookEndpointRecord; secret: string }>('CreateWebhookEndpointSuccess')
  .implement({
    fields: (t) => ({
      endpoint: t.field({ type: WebhookEndpointType, resolve: (r) => r.endpoint }),
      secret: t.exposeString('secret', {
        description: 'The signing secret (`whsec_…`): shown this once. Verify deliveries with it.',
      }),
    }),
  });

builder.mutationField('createWebhookEndpoint', (t) =>
  t.field({
    description:
      'Adds a webhook endpoint to the caller’s group (group admin or API token). It receives the events that ' +
      'commit after it, starting with its own `webhook_endpoint.created` when its types include it.',
    type: CreateWebhookEndpointSuccess,
    args: {
      url: t.arg.string({
        required: true,
        description: '`https:` (or `http:` outside production), at most 2048 characters, without credentials.',
      }),
      types: t.arg.stringList({ description: 'The event types to receive; left out, every type.' }),
    },
    errors: resultUnion('CreateWebhookEndpointResult', ['InvalidInput', 'WebhookEndpointInvalid']),
    resolve: (_root, { url, types }, ctx, info) =>
      fieldWrite(createWebhookEndpointPolicy, ctx, info, ({ group, caller, keyed }) =>
        ctx.services.webhooks.create(group, url, types, caller, keyed),
      ),
  }),
);

const DeleteWebhookEndpointSuccess = builder.objectRef<{ id: string }>('DeleteWebhookEndpointSuccess').implement({
  fields: (t) => ({ id: t.exposeID('id') }),
});

builder.mutationField('deleteWebhookEndpoint', (t) =>
  t.field({
    description: 'Deletes one of the group’s webhook endpoints; nothing more is delivered to it (group admin or API token).',
    type: DeleteWebhookEndpointSuccess,
    args: { id: t.arg.id({ required: true }) },
    errors: resultUnion('DeleteWebhookEndpointResult', ['InvalidInput']),
    resolve: (_root, { id }, ctx, info) =>
      fieldWrite(deleteWebhookEndpointPolicy, ctx, info, ({ group, caller, keyed }) =>
        ctx.services.webhooks.delete(group, String(id), caller, keyed),
      ),
  }),
);
