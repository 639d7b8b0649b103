/** The group's live sessions (sessions, revokeSession): who is signed in since when, and ending one. */
import { decodeCursor, SessionCursor, sessionCursorOf } from '../../domain/cursors.ts';
import { revokeSessionPolicy } from '../../requests/write-policies.ts';
import { html } from '../html.ts';
import { CONSOLE_PATH, consoleHref, formTokenField, noticeOf, pager, time } from './layout.ts';
import { type ConsoleRequest, type ConsoleRoutes, field, formWrite, page, seeOther } from './request.ts';

const SESSIONS_PATH = `${CONSOLE_PATH}/sessions`;
const REVOKE_PATH = `${SESSIONS_PATH}/revoke`;
const PAGE_SIZE = 20;

const notices = { ended: 'The session was ended: that browser is signed out.' };

async function sessionsPage(request: ConsoleRequest) {
  const { query, admin, ctx } = request;
  const after = field(query, 'after');
  const found = await ctx.services.sessions.list(admin.group, PAGE_SIZE + 1, decodeCursor(after, SessionCursor));
  // Revoking the token a session was signed in through ends it (API.md §17): say which, by label.
  const tokens = new Map((await ctx.services.apiTokens.list(admin.group)).map((t) => [t.id, t]));
  const signedInThrough = (id: string | null) => {
    if (id === null) return html`<span class="muted">a login link from the CLI</span>`;
    const token = tokens.get(id);
    return html`API token <span class="through">${token ? (token.label ?? 'Unlabelled token') : id}</span>`;
  };
  const shown = found.slice(0, PAGE_SIZE);
  const next = found.length > PAGE_SIZE ? consoleHref(SESSIONS_PATH, { after: sessionCursorOf(shown.at(-1)!.session) }) : null;
  const rows = shown.map(({ session, user }) => {
    const mine = session.id === admin.session.id;
    return html`<tr>
<th scope="row">${user.username}${mine ? html` <span class="badge you">this browser</span>` : null}</th>
<td>${time(session.createdAt)}</td>
<td>${time(session.expiresAt)}</td>
<td class="signed-in-through">${signedInThrough(session.apiTokenId)}</td>
<td class="actions"><form method="post" action="${REVOKE_PATH}">
${formTokenField(request.formToken)}
<input type="hidden" name="id" value="${session.id}">
<button type="submit" class="secondary small">${mine ? 'Sign out' : 'End session'}<span class="sr"> of ${user.username} since ${new Date(session.createdAt).toISOString()}</span></button>
</form></td>
</tr>`;
  });
  const body = html`<h1>Sessions</h1>
<p class="lead">Who is signed in to the group now, since when, until when at the latest, and through which API token’s sign-in link. Ending a session signs that browser out at once; so does revoking the token it was signed in through.</p>
${noticeOf(query, notices)}
${
  rows.length === 0
    ? html`<p class="muted" id="no-sessions">No sessions on this page.</p>`
    : html`<div class="wrap"><table id="sessions">
<caption>Live sessions, oldest first</caption>
<thead><tr><th scope="col">User</th><th scope="col">Signed in</th><th scope="col">Expires</th><th scope="col">Through the link of</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`
}
${pager('Session pages', [
  after ? html`<a href="${SESSIONS_PATH}">First page</a>` : null,
  next ? html`<a href="${next}" id="next-sessions" rel="next">Next page</a>` : null,
])}`;
  return page(request, { title: 'Sessions', section: SESSIONS_PATH, body });
}

async function revoke(request: ConsoleRequest) {
  const { form, admin, ctx } = request;
  const id = field(form, 'id') ?? '';
  await formWrite(request, revokeSessionPolicy, ({ group, caller }) => ctx.services.sessions.revoke(group, id, caller));
  if (id !== admin.session.id) return seeOther(`${SESSIONS_PATH}?done=ended`);
  // The admin ended their own session: signed out, as by the sign-out button.
  ctx.clearSessionCookie();
  return seeOther('/');
}

export const sessionRoutes: ConsoleRoutes = {
  [SESSIONS_PATH]: { GET: sessionsPage },
  [REVOKE_PATH]: { POST: revoke },
};
