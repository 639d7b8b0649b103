/** The group's API tokens (apiTokens, createApiToken, revokeApiToken): create (shown once), last use, revoke. */
import type { ApiTokenRecord } from '../../db/store.ts';
import { DomainError } from '../../errors/domain-error.ts';
import { createApiTokenPolicy, revokeApiTokenPolicy } from '../../requests/write-policies.ts';
import { html } from '../html.ts';
import { CONSOLE_PATH, consoleHref, fieldProblem, formTokenField, noticeOf, problemSummary, time } from './layout.ts';
import { type ConsoleRequest, type ConsoleRoutes, confirmationPage, field, formProblem, formWrite, page, seeOther } from './request.ts';
import { createOnce, formKeyField, secretPage } from './shown-once.ts';

const TOKENS_PATH = `${CONSOLE_PATH}/api-tokens`;
const REVOKE_PATH = `${TOKENS_PATH}/revoke`;

const notices = { revoked: 'The API token was revoked: requests with it are refused from now on.' };

const labelOf = (token: ApiTokenRecord) => token.label ?? 'Unlabelled token';

/** Where a token came from: made in a session signed in through another token's link (API.md §17), named. */
function madeThrough(token: ApiTokenRecord, byId: Map<string, ApiTokenRecord>) {
  if (token.createdThroughApiTokenId === null) return html`<span class="muted">—</span>`;
  const through = byId.get(token.createdThroughApiTokenId);
  return html`in a session signed in through <span class="through">${through ? labelOf(through) : token.createdThroughApiTokenId}</span>${
    through?.revokedAt != null ? html` <span class="badge bad">revoked</span>` : null
  }`;
}

async function tokensPage(request: ConsoleRequest, sent: { label: string; problem: DomainError } | null = null) {
  const { admin, ctx, query } = request;
  const tokens = await ctx.services.apiTokens.list(admin.group);
  const byId = new Map(tokens.map((t) => [t.id, t]));
  const label = fieldProblem(sent?.problem ?? null, 'label', 'label-hint');
  const rows = tokens.map(
    (t) => html`<tr>
<th scope="row">${t.label ?? html`<span class="muted">no label</span>`}</th>
<td>${time(t.createdAt)}</td>
<td>${time(t.lastUsedAt)}</td>
<td>${t.revokedAt === null ? html`<span class="badge ok">active</span>` : html`<span class="badge bad">revoked</span> ${time(t.revokedAt)}`}</td>
<td class="made-through">${madeThrough(t, byId)}</td>
<td class="actions">${
      t.revokedAt === null
        ? html`<a class="button secondary small" href="${consoleHref(REVOKE_PATH, { id: t.id })}">Revoke<span class="sr"> ${labelOf(t)}</span>…</a>`
        : null
    }</td>
</tr>`,
  );
  const body = html`<h1>API tokens</h1>
<p class="lead">The group’s backend calls the API with these, as <code>Authorization: Bearer tapi_…</code>. Each is shown once, when it is made.</p>
${noticeOf(query, notices)}
${admin.group.isApiEnabled ? null : html`<p class="warning" id="api-off">The API is switched off in <a href="${CONSOLE_PATH}/settings">Settings</a>: every token below is refused (ApiIsDisabled) until it is switched on.</p>`}
${
  tokens.length === 0
    ? html`<p class="muted" id="no-tokens">The group has no API tokens yet.</p>`
    : html`<div class="wrap"><table id="api-tokens">
<caption>API tokens, oldest first</caption>
<thead><tr><th scope="col">Label</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Status</th><th scope="col">Made</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`
}
<h2 id="create-heading">Create an API token</h2>
${sent ? problemSummary(sent.problem) : null}
<form method="post" action="${TOKENS_PATH}" class="stack" aria-labelledby="create-heading" novalidate>
${formTokenField(request.formToken)}
${formKeyField()}
<div class="field">
<label for="label">Label</label>
<span class="hint" id="label-hint">What the token is for, such as the backend that will use it. At most 100 characters.</span>
${label.message}<input type="text" id="label" name="label" value="${sent?.label ?? ''}" maxlength="100"${label.attributes}>
</div>
<div class="buttons"><button type="submit" id="create-token">Create token</button></div>
</form>`;
  return page(request, { title: 'API tokens', section: TOKENS_PATH, body, status: sent?.problem.status });
}

/** A token's label, created and last used, as a short list (its confirmation steps and its page shown once). */
export function tokenFacts(token: ApiTokenRecord) {
  return html`<dl class="facts" id="token-facts">
<dt>Label</dt><dd>${token.label ?? html`<span class="muted">none</span>`}</dd>
<dt>Created</dt><dd>${time(token.createdAt)}</dd>
<dt>Last used</dt><dd>${time(token.lastUsedAt)}</dd>
</dl>`;
}

/**
 * Creates an API token with this label, once per form (createOnce): the record and
 * its secret, or none when the same form was sent again; an InvalidInput (a label
 * too long, a form without its key) is answered, anything else thrown.
 */
export function createApiTokenOnce(request: ConsoleRequest, label: string) {
  const { ctx } = request;
  return createOnce(request, createApiTokenPolicy, 'createApiToken', async ({ group, caller, keyed }) => {
    const { apiToken, token } = await ctx.services.apiTokens.create(group, label, caller, keyed);
    return { record: apiToken, secret: token };
  }).catch((error: unknown) => formProblem(request, error, ['InvalidInput']));
}

async function createToken(request: ConsoleRequest) {
  const { form, admin, ctx } = request;
  const label = form.get('label') ?? '';
  const created = await createApiTokenOnce(request, label);
  if (created instanceof DomainError) return tokensPage(request, { label, problem: created });
  const { record, secret } = created;
  return secretPage(request, {
    title: 'API token created',
    section: TOKENS_PATH,
    heading: `API token “${labelOf(record)}” created`,
    what: 'API token',
    facts: tokenFacts(record),
    createdAt: record.createdAt,
    label: 'API token',
    secret,
    why: 'Only a digest of it is kept, so nobody can show it to you again.',
    usage: html`<p>Send it with each request to the API:</p>
<pre>curl ${ctx.services.signIn.groupOrigin(admin.group.slug)}/graphql \\
  -H 'Authorization: Bearer tapi_…' -H 'Content-Type: application/json' \\
  -d '{"query":"{ group { slug } }"}'</pre>`,
    remedy: 'revoke it and create another',
  });
}

async function showRevocation(request: ConsoleRequest) {
  const { admin, ctx } = request;
  const token = await ctx.services.apiTokens.get(admin.group, field(request.query, 'id') ?? '');
  const yours = admin.session.apiTokenId === token.id;
  return confirmationPage(request, {
    title: `Revoke ${labelOf(token)}`,
    section: TOKENS_PATH,
    heading: `Revoke the API token “${labelOf(token)}”?`,
    facts: tokenFacts(token),
    consequence: html`Every request with it is refused from the next one on (InvalidApiToken), the sign-in links it made no longer sign in, and every session signed in through them ends now.${
      yours ? html` <strong id="ends-yours">You signed in through this token’s link: this signs you out.</strong>` : null
    } A revoked token cannot be used again.`,
    action: REVOKE_PATH,
    fields: { id: token.id },
    button: 'Revoke token',
  });
}

async function revoke(request: ConsoleRequest) {
  const { form, admin, ctx } = request;
  const id = field(form, 'id') ?? '';
  await formWrite(request, revokeApiTokenPolicy, ({ group, caller }) => ctx.services.apiTokens.revoke(group, id, caller));
  if (admin.session.apiTokenId !== id) return seeOther(`${TOKENS_PATH}?done=revoked`);
  // The admin signed in through this token's link: that session ended with it.
  ctx.clearSessionCookie();
  return seeOther('/');
}

export const apiTokenRoutes: ConsoleRoutes = {
  [TOKENS_PATH]: { GET: (request) => tokensPage(request), POST: createToken },
  [REVOKE_PATH]: { GET: showRevocation, POST: revoke },
};
