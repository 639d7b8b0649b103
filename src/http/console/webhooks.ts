/**
 * The group's webhook endpoints (API.md §14): add one (its signing secret shown
 * once), delete one, and each one's recent delivery attempts with their status.
 */
import type { WebhookAttemptRecord, WebhookEndpointRecord } from '../../db/store.ts';
import { eventTypes } from '../../domain/events.ts';
import { DomainError } from '../../errors/domain-error.ts';
import { createWebhookEndpointPolicy, deleteWebhookEndpointPolicy } from '../../requests/write-policies.ts';
import { html } from '../html.ts';
import { CONSOLE_PATH, consoleHref, fieldProblem, formTokenField, noticeOf, problemSummary, time } from './layout.ts';
import { type ConsoleRequest, type ConsoleRoutes, confirmationPage, field, formProblem, formWrite, page, seeOther } from './request.ts';
import { createOnce, formKeyField, secretPage } from './shown-once.ts';

const WEBHOOKS_PATH = `${CONSOLE_PATH}/webhooks`;
const DELETE_PATH = `${WEBHOOKS_PATH}/delete`;
const RECENT_DELIVERIES = 10;

const notices = { deleted: 'The webhook endpoint was deleted: nothing more is sent to it.' };

function deliveryStatus(d: WebhookAttemptRecord) {
  if (d.status !== null && d.status >= 200 && d.status < 300) return html`<span class="badge ok">${d.status}</span>`;
  return html`<span class="badge bad">${d.status ?? 'no answer'}</span>`;
}

function deliveriesTable(endpoint: WebhookEndpointRecord, deliveries: WebhookAttemptRecord[]) {
  if (deliveries.length === 0) return html`<p class="muted small">Nothing delivered yet.</p>`;
  return html`<div class="wrap"><table class="deliveries">
<caption class="sr">Latest delivery attempts to ${endpoint.url}, newest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col" class="num">Attempt</th><th scope="col">Status</th><th scope="col">Error</th><th scope="col">Next attempt</th></tr></thead>
<tbody>${deliveries.map(
    (d) => html`<tr>
<td class="when">${time(d.attemptedAt)}</td>
<td><code class="nowrap">${d.eventType}</code><br><span class="small muted mono">${d.eventId}</span></td>
<td class="num">${d.attempt}</td>
<td>${deliveryStatus(d)}</td>
<td>${d.error ?? html`<span class="muted">—</span>`}</td>
<td class="when">${time(d.nextAttemptAt, '—')}</td>
</tr>`,
  )}</tbody>
</table></div>`;
}

function endpointFacts(endpoint: WebhookEndpointRecord, withUrl = false) {
  return html`<dl class="facts">
${withUrl ? html`<dt>URL</dt><dd class="mono" id="endpoint-url">${endpoint.url}</dd>` : null}
<dt>Receives</dt><dd>${endpoint.types === null ? 'every event type' : endpoint.types.join(', ')}</dd>
<dt>Added</dt><dd>${time(endpoint.createdAt)}</dd>
<dt>Status</dt><dd>${endpoint.disabledAt === null ? html`<span class="badge ok">active</span>` : html`<span class="badge bad">disabled</span> by a 410 Gone answer, ${time(endpoint.disabledAt)}`}</dd>
</dl>`;
}

async function webhooksPage(request: ConsoleRequest, sent: { url: string; types: string[]; problem: DomainError } | null = null) {
  const { admin, ctx, query } = request;
  const { webhooks } = ctx.services;
  const endpoints = await webhooks.list(admin.group);
  const deliveries = await Promise.all(endpoints.map((endpoint) => webhooks.deliveries(endpoint, RECENT_DELIVERIES)));
  const url = fieldProblem(sent?.problem ?? null, 'url', 'url-hint', ['WebhookEndpointInvalid']);
  const types = fieldProblem(sent?.problem ?? null, 'types', 'types-hint');
  const chosen = new Set(sent?.types ?? []);
  const body = html`<h1>Webhooks</h1>
<p class="lead">The group’s events, posted as they happen to URLs of your own, signed per <a href="https://www.standardwebhooks.com/">Standard Webhooks</a> with each endpoint’s secret.</p>
${noticeOf(query, notices)}
${
  endpoints.length === 0
    ? html`<p class="muted" id="no-webhooks">The group has no webhook endpoints yet.</p>`
    : endpoints.map(
        (endpoint, i) => html`<section class="endpoint" aria-labelledby="endpoint-${i}">
<h2 id="endpoint-${i}">${endpoint.url}</h2>
${endpointFacts(endpoint)}
<h3>Recent deliveries</h3>
${deliveriesTable(endpoint, deliveries[i]!)}
<p><a class="button secondary small" href="${consoleHref(DELETE_PATH, { id: endpoint.id })}">Delete<span class="sr"> ${endpoint.url}</span>…</a></p>
</section>`,
      )
}
<h2 id="add-heading">Add an endpoint</h2>
${sent ? problemSummary(sent.problem) : null}
<form method="post" action="${WEBHOOKS_PATH}" class="stack" aria-labelledby="add-heading" novalidate>
${formTokenField(request.formToken)}
${formKeyField()}
<div class="field">
<label for="url">URL</label>
<span class="hint" id="url-hint">Where to post the events: ${ctx.config.production ? 'https' : 'https (or http, outside production)'}, on a public address.</span>
${url.message}<input type="url" id="url" name="url" value="${sent?.url ?? ''}"${url.attributes}>
</div>
<fieldset${types.attributes}>
<legend>Event types</legend>
<span class="hint" id="types-hint">Leave every box clear to receive every type, new ones included.</span>
${types.message}<div class="columns">
${eventTypes.map(
  (t, i) => html`<div class="check"><input type="checkbox" id="type-${i}" name="types" value="${t}"${chosen.has(t) ? html` checked` : null}>
<label for="type-${i}"><code>${t}</code></label></div>`,
)}
</div>
</fieldset>
<div class="buttons"><button type="submit" id="add-webhook">Add endpoint</button></div>
</form>`;
  return page(request, { title: 'Webhooks', section: WEBHOOKS_PATH, body, status: sent?.problem.status });
}

async function addEndpoint(request: ConsoleRequest) {
  const { form, ctx } = request;
  const url = form.get('url') ?? '';
  const types = form.getAll('types');
  const created = await createOnce(request, createWebhookEndpointPolicy, 'createWebhookEndpoint', async ({ group, caller, keyed }) => {
    // No box ticked: every type (null), as when createWebhookEndpoint leaves `types` out.
    const made = await ctx.services.webhooks.create(group, url, types.length ? types : null, caller, keyed);
    return { record: made, secret: made.secret };
  }).catch((error: unknown) => formProblem(request, error, ['InvalidInput', 'WebhookEndpointInvalid']));
  if (created instanceof DomainError) return webhooksPage(request, { url, types, problem: created });
  const { record: { endpoint: record }, secret } = created;
  return secretPage(request, {
    title: 'Webhook endpoint added',
    section: WEBHOOKS_PATH,
    heading: 'Webhook endpoint added',
    what: 'webhook endpoint',
    facts: endpointFacts(record, true),
    createdAt: record.createdAt,
    label: 'Signing secret',
    secret,
    why: 'The server signs with it, but never shows it again.',
    usage: html`<p>Verify each delivery’s <code>webhook-signature</code> with it, using any Standard Webhooks library. Events that happen from now on are posted to the endpoint, oldest first.</p>`,
    remedy: 'delete it and add it again',
  });
}

async function showDeletion(request: ConsoleRequest) {
  const { admin, ctx } = request;
  const endpoint = await ctx.services.webhooks.get(admin.group, field(request.query, 'id') ?? '');
  return confirmationPage(request, {
    title: 'Delete webhook endpoint',
    section: WEBHOOKS_PATH,
    heading: 'Delete this webhook endpoint?',
    facts: endpointFacts(endpoint, true),
    consequence: 'Nothing more is posted to it, not even deliveries still waiting for a retry.',
    action: DELETE_PATH,
    fields: { id: endpoint.id },
    button: 'Delete endpoint',
  });
}

async function deleteEndpoint(request: ConsoleRequest) {
  const { form, ctx } = request;
  const id = field(form, 'id') ?? '';
  await formWrite(request, deleteWebhookEndpointPolicy, ({ group, caller }) => ctx.services.webhooks.delete(group, id, caller));
  return seeOther(`${WEBHOOKS_PATH}?done=deleted`);
}

export const webhookRoutes: ConsoleRoutes = {
  [WEBHOOKS_PATH]: { GET: (request) => webhooksPage(request), POST: addEndpoint },
  [DELETE_PATH]: { GET: showDeletion, POST: deleteEndpoint },
};
