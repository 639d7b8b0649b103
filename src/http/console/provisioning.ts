/**
 * SCIM provisioning (API.md §18): where the group's identity provider connects (the
 * base URL and the header), a token made for it (shown once, as on the API tokens
 * page), the directory groups it has pushed, and the one that names the admins
 * (updateGroup's adminDirectoryGroup).
 */
import type { DirectoryGroupRecord } from '../../db/store.ts';
import { DomainError } from '../../errors/domain-error.ts';
import { updateGroupPolicy } from '../../requests/write-policies.ts';
import { html } from '../html.ts';
import { SCIM_PREFIX } from '../scim/routes.ts';
import { createApiTokenOnce, tokenFacts } from './api-tokens.ts';
import { CONSOLE_PATH, fieldProblem, formTokenField, noticeOf, problemSummary } from './layout.ts';
import { type ConsoleRequest, type ConsoleRoutes, field, formProblem, formWrite, page, seeOther } from './request.ts';
import { formKeyField, secretPage } from './shown-once.ts';

const PROVISIONING_PATH = `${CONSOLE_PATH}/provisioning`;
const TOKEN_PATH = `${PROVISIONING_PATH}/token`;
/** The label of the API tokens this page makes. */
export const PROVISIONING_TOKEN_LABEL = 'SCIM provisioning';
/** Directory groups listed (and offered as the admins' one), oldest first. */
const GROUPS_SHOWN = 100;
const ADMIN_GROUP_FIELD = 'adminDirectoryGroup';

const notices = {
  mapped: 'Saved: the members of that directory group are now the admins, everyone else a member.',
  cleared: 'Saved: roles are set one by one again. Everyone keeps the role they have now.',
};

/** What a refused form sent, and why: shown again on the page, beside that form. */
interface Refused {
  token?: DomainError;
  adminGroup?: { value: string; problem: DomainError };
}

const scimBaseUrl = (request: ConsoleRequest) => `${request.ctx.config.publicUrl.origin}${SCIM_PREFIX}`;

async function provisioningPage(request: ConsoleRequest, refused: Refused = {}) {
  const { admin, ctx, query } = request;
  const { group } = admin;
  const [listed, total] = await Promise.all([
    ctx.services.scim.directoryGroups(group, { after: null, limit: GROUPS_SHOWN }),
    ctx.services.scim.countDirectoryGroups(group),
  ]);
  // The admins' directory group is offered even when it is past the ones listed.
  const mapped = group.adminDirectoryGroupId;
  const extra: DirectoryGroupRecord[] =
    mapped !== null && !listed.some((g) => g.id === mapped) ? await ctx.services.scim.directoryGroups(group, { ids: [mapped] }) : [];
  const counts = await Promise.all(listed.map(async (g) => (await ctx.services.scim.directoryGroupMemberIds(g)).length));
  const selected = refused.adminGroup?.value ?? mapped ?? '';
  const choice = fieldProblem(refused.adminGroup?.problem ?? null, ADMIN_GROUP_FIELD, 'adminDirectoryGroup-hint');
  const option = (value: string, name: string) =>
    html`<option value="${value}"${value === selected ? html` selected` : null}>${name}</option>`;
  const rows = listed.map(
    (g, i) => html`<tr>
<th scope="row">${g.displayName}${g.id === mapped ? html` <span class="badge admin" title="Its members are the group’s admins">admins</span>` : null}</th>
<td>${g.externalId ?? html`<span class="muted">—</span>`}</td>
<td class="num">${counts[i]}</td>
</tr>`,
  );
  const base = scimBaseUrl(request);
  const body = html`<h1>Provisioning</h1>
<p class="lead">Your identity provider (Okta, Microsoft Entra ID, or any SCIM 2.0 client) creates, updates, suspends and removes the group’s members, and keeps its directory groups. A suspended member cannot sign in until the identity provider restores them.</p>
${noticeOf(query, notices)}
${group.isApiEnabled ? null : html`<p class="warning" id="api-off">The API is switched off in <a href="${CONSOLE_PATH}/settings">Settings</a>: the identity provider’s requests are refused (ApiIsDisabled) until it is switched on.</p>`}
<h2 id="connect-heading">Connect your identity provider</h2>
<dl class="facts" id="scim-connection">
<dt>SCIM base URL</dt><dd><code id="scim-base-url">${base}</code></dd>
<dt>Authentication</dt><dd><code id="scim-auth-header">Authorization: Bearer &lt;token&gt;</code></dd>
</dl>
<p class="small muted">In Okta, the base URL is the “SCIM connector base URL” and the authentication mode “HTTP Header”; in Microsoft Entra ID, it is the “Tenant URL” and the token the “Secret Token”.</p>
<h3 id="token-heading">A token for the identity provider</h3>
<p>The identity provider signs its requests with one of the group’s API tokens. Make one for it alone: it is listed with the others on <a href="${CONSOLE_PATH}/api-tokens">API tokens</a>, where it can be revoked.</p>
${refused.token ? problemSummary(refused.token) : null}
<form method="post" action="${TOKEN_PATH}" aria-labelledby="token-heading">
${formTokenField(request.formToken)}
${formKeyField()}
<div class="buttons"><button type="submit" id="create-provisioning-token">Create a token for provisioning</button></div>
</form>
<h2 id="directory-groups-heading">Directory groups</h2>
${
  listed.length === 0
    ? html`<p class="muted" id="no-directory-groups">The identity provider has not pushed any group yet. Assign groups to the application there (Okta: “Push Groups”; Entra ID: assign groups) and they appear here.</p>`
    : html`<div class="wrap"><table id="directory-groups">
<caption>Directory groups, as the identity provider keeps them, oldest first</caption>
<thead><tr><th scope="col">Display name</th><th scope="col">External ID</th><th scope="col" class="num">Members</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>
${total > listed.length ? html`<p class="small muted" id="more-directory-groups">The first ${listed.length} of ${total} directory groups are shown.</p>` : null}`
}
<h2 id="admin-group-heading">Admins from a directory group</h2>
${refused.adminGroup ? problemSummary(refused.adminGroup.problem) : null}
<form method="post" action="${PROVISIONING_PATH}" class="stack" aria-labelledby="admin-group-heading" novalidate>
${formTokenField(request.formToken)}
<div class="field">
<label for="adminDirectoryGroup">Directory group of the admins</label>
${choice.message}<select id="adminDirectoryGroup" name="${ADMIN_GROUP_FIELD}"${choice.attributes}>
${option('', 'None (roles are set one by one)')}
${[...listed, ...extra].map((g) => option(g.id, g.displayName))}
</select>
<span class="hint" id="adminDirectoryGroup-hint">The members of this directory group are the group’s admins and everyone else a member, as the identity provider changes its memberships; a change that would leave the group without an admin is refused (and if you are not in it, you lose the console).</span>
</div>
<div class="buttons"><button type="submit" id="save-admin-group">Save</button></div>
</form>`;
  const status = refused.token?.status ?? refused.adminGroup?.problem.status;
  return page(request, { title: 'Provisioning', section: PROVISIONING_PATH, body, status });
}

async function saveAdminGroup(request: ConsoleRequest) {
  const { form, ctx } = request;
  const value = field(form, ADMIN_GROUP_FIELD);
  try {
    await formWrite(request, updateGroupPolicy, ({ group, caller }) => ctx.services.scim.setAdminDirectoryGroup(group, value, caller));
  } catch (error) {
    return provisioningPage(request, { adminGroup: { value: value ?? '', problem: formProblem(request, error, ['InvalidInput']) } });
  }
  // An admin outside that directory group is a member now: the console then says so.
  return seeOther(`${PROVISIONING_PATH}?done=${value === null ? 'cleared' : 'mapped'}`);
}

async function createToken(request: ConsoleRequest) {
  const created = await createApiTokenOnce(request, PROVISIONING_TOKEN_LABEL);
  if (created instanceof DomainError) return provisioningPage(request, { token: created });
  const { record, secret } = created;
  const base = scimBaseUrl(request);
  return secretPage(request, {
    title: 'Provisioning token created',
    section: PROVISIONING_PATH,
    heading: `API token “${record.label ?? PROVISIONING_TOKEN_LABEL}” created`,
    what: 'API token',
    facts: tokenFacts(record),
    createdAt: record.createdAt,
    label: 'API token',
    secret,
    why: 'Only a digest of it is kept, so nobody can show it to you again.',
    usage: html`<p>Paste it into your identity provider’s provisioning settings, with the SCIM base URL <code>${base}</code>. It sends it as <code>Authorization: Bearer tapi_…</code>; to try it:</p>
<pre>curl ${base}/ServiceProviderConfig \\
  -H 'Authorization: Bearer tapi_…'</pre>`,
    remedy: 'revoke it on the API tokens page and create another',
  });
}

export const provisioningRoutes: ConsoleRoutes = {
  [PROVISIONING_PATH]: { GET: (request) => provisioningPage(request), POST: saveAdminGroup },
  [TOKEN_PATH]: { POST: createToken },
};
