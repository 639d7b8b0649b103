/**
 * Webhook endpoints (API.md §14): created with a `whsec_` secret shown once,
 * deleted, listed with their recent delivery attempts. Creating and deleting one
 * are events, written with the change. Delivery itself is src/webhooks/worker.ts.
 */
import { randomBytes } from 'node:crypto';
import type { GroupRecord, WebhookAttemptRecord, WebhookEndpointRecord } from '../db/store.ts';
import { domainError, invalidInput } from '../errors/domain-error.ts';
import { newId } from '../ids.ts';
import type { ServiceDeps } from './deps.ts';
import { type Caller, newEvent, parseEventTypes, targets } from './events.ts';
import { type Keyed, plainOutcome, remembering } from './idempotency.ts';
import { parsePageSize } from './inputs.ts';
import { assertPublicDestination, parseWebhookUrl } from './webhook-destinations.ts';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** Random bytes in a signing secret (Standard Webhooks allows 24 to 64). */
const SECRET_BYTES = 32;

/** A new endpoint and its secret: what createWebhookEndpoint answers, and a keyed one remembers (its replay shows the same secret). */
export interface CreatedWebhookEndpoint {
  endpoint: WebhookEndpointRecord;
  secret: string;
}

export const createWebhookEndpointOutcome = plainOutcome<CreatedWebhookEndpoint>(['InvalidInput', 'WebhookEndpointInvalid']);

export const deleteWebhookEndpointOutcome = plainOutcome<{ id: string }>(['InvalidInput']);

export class WebhookService {
  constructor(private readonly deps: ServiceDeps) {}

  /** Deletes delivery attempts older than the events' retention (EVENT_RETENTION_DAYS); returns how many. */
  async purgeExpiredAttempts(): Promise<number> {
    return this.deps.store.purgeWebhookAttempts(this.deps.now() - this.deps.config.eventRetentionDays * 86_400_000);
  }

  /**
   * A new endpoint of the group and its secret (shown this once). InvalidInput for a
   * malformed URL (`url`) or an unknown or empty type list (`types`);
   * WebhookEndpointInvalid for a host that resolves to a non-public address, or when
   * the group has WEBHOOK_MAX_ENDPOINTS_PER_GROUP endpoints already.
   */
  async create(
    group: GroupRecord,
    rawUrl: string,
    rawTypes: string[] | null | undefined,
    caller: Caller,
    keyed?: Keyed<CreatedWebhookEndpoint>,
  ): Promise<CreatedWebhookEndpoint> {
    const { config } = this.deps;
    const url = parseWebhookUrl(rawUrl, { production: config.production });
    if (rawTypes?.length === 0) throw invalidInput('types', 'must name at least one event type; leave it out for every type');
    const types = parseEventTypes(rawTypes);
    await assertPublicDestination(url, config.webhooks.allowPrivateNetworks);
    const endpoint: WebhookEndpointRecord = {
      id: newId(),
      groupId: group.id,
      url: url.href,
      types,
      createdAt: this.deps.now(),
      disabledAt: null,
    };
    const secret = WEBHOOK_SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
    const max = config.webhooks.maxEndpointsPerGroup;
    const data = { url: endpoint.url, types: types ?? [] };
    const events = [newEvent('webhook_endpoint.created', group, caller, targets.webhookEndpoint(endpoint), data, endpoint.createdAt)];
    const remember = remembering(keyed, () => ({ endpoint, secret }));
    const inserted = await this.deps.store.keyed(remember).insertWebhookEndpoint({ ...endpoint, secret }, events, max);
    if (!inserted) {
      throw domainError('WebhookEndpointInvalid', {
        reason: `the group has reached its limit of ${max} webhook endpoints (WEBHOOK_MAX_ENDPOINTS_PER_GROUP): delete one to add another`,
      });
    }
    return { endpoint, secret };
  }

  /** Deletes one of the group's endpoints; InvalidInput (field `id`) when the group has no such endpoint. */
  async delete(group: GroupRecord, id: string, caller: Caller, keyed?: Keyed<{ id: string }>): Promise<{ id: string }> {
    const at = this.deps.now();
    const deleted = await this.deps.store
      .keyed(remembering(keyed, (endpoint: WebhookEndpointRecord) => ({ id: endpoint.id })))
      .deleteWebhookEndpoint(group.id, id, at, (endpoint) => [
        newEvent('webhook_endpoint.deleted', group, caller, targets.webhookEndpoint(endpoint), { url: endpoint.url }, at),
      ]);
    // Another group's endpoint answers exactly like none: nothing to learn about it.
    if (!deleted) throw noSuchEndpoint();
    return { id: deleted.id };
  }

  list(group: GroupRecord): Promise<WebhookEndpointRecord[]> {
    return this.deps.store.listWebhookEndpoints(group.id);
  }

  /** One of the group's live endpoints; InvalidInput (field `id`) as for delete. */
  async get(group: GroupRecord, id: string): Promise<WebhookEndpointRecord> {
    const found = (await this.list(group)).find((endpoint) => endpoint.id === id);
    if (!found) throw noSuchEndpoint();
    return found;
  }

  /** The endpoint's latest delivery attempts, newest first; `first` is 0..100. */
  deliveries(endpoint: WebhookEndpointRecord, first: number): Promise<WebhookAttemptRecord[]> {
    return parsePageSize(first) === 0 ? Promise.resolve([]) : this.deps.store.listWebhookAttempts(endpoint.id, first);
  }
}

const noSuchEndpoint = () => invalidInput('id', 'no webhook endpoint with this id in this group');
