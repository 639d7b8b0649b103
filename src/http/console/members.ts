/** The group's members (Group.members, removeMember): paged, searched by username prefix, removed after a confirmation. */
import { decodeCursor, MemberCursor, memberCursorOf } from '../../domain/cursors.ts';
import { normalizeUsername } from '../../domain/usernames.ts';
import type { DomainError } from '../../errors/domain-error.ts';
import { removeMemberPolicy } from '../../requests/write-policies.ts';
import { html } from '../html.ts';
import { CONSOLE_PATH, consoleHref, noticeOf, pager, time } from './layout.ts';
import { type ConsoleRequest, type ConsoleRoutes, confirmationPage, field, formProblem, formWrite, page, seeOther } from './request.ts';

const MEMBERS_PATH = `${CONSOLE_PATH}/members`;
const REMOVE_PATH = `${MEMBERS_PATH}/remove`;
const PAGE_SIZE = 20;

/** What the badge of a suspended member says when pointed at. */
const SUSPENDED_TITLE = 'Suspended by the identity provider (SCIM): cannot sign in';

const notices = { removed: 'The member was removed, and their sessions in this group ended.' };

async function membersPage(request: ConsoleRequest) {
  const { query, admin, ctx } = request;
  // Shown as it is searched: trimmed and lower-cased, like a username.
  const q = field(query, 'q');
  const search = q === null ? null : normalizeUsername(q);
  const after = field(query, 'after');
  const found = await ctx.services.members.list(admin.group, PAGE_SIZE, decodeCursor(after, MemberCursor), search);
  const next = found.hasNextPage ? consoleHref(MEMBERS_PATH, { q: search, after: memberCursorOf(found.members.at(-1)!) }) : null;
  const rows = found.members.map(
    (m) => html`<tr>
<th scope="row">${m.user.username}${m.user.id === admin.user.id ? html` <span class="badge you">you</span>` : null}${
      m.suspendedAt !== null ? html` <span class="badge bad" title="${SUSPENDED_TITLE}">suspended</span>` : null
    }</th>
<td>${m.user.email}</td>
<td>${[m.user.firstName, m.user.lastName].filter(Boolean).join(' ') || html`<span class="muted">—</span>`}</td>
<td>${m.role === 'admin' ? html`<span class="badge admin">admin</span>` : 'member'}</td>
<td>${time(m.joinedAt)}</td>
<td class="actions"><a class="button secondary small" href="${consoleHref(REMOVE_PATH, { username: m.user.username })}">Remove<span class="sr"> ${m.user.username}</span>…</a></td>
</tr>`,
  );
  const body = html`<h1>Members</h1>
<p class="lead">Everyone who can sign in to the group, by the time they joined. Removing a member ends their sessions here; their account and other groups stay.</p>
${noticeOf(query, notices)}
<form method="get" action="${MEMBERS_PATH}" class="inline" role="search" aria-label="Members">
<div><label for="q">Username starts with</label><br>
<input type="search" id="q" name="q" value="${search ?? ''}" autocomplete="off" spellcheck="false"></div>
<button type="submit" class="secondary">Search</button>
${search ? html`<a href="${MEMBERS_PATH}">Show everyone</a>` : null}
</form>
${
  rows.length === 0
    ? html`<p id="no-members" class="muted">${search ? html`No member’s username starts with <code>${search}</code>.` : 'No members on this page.'}</p>`
    : html`<div class="wrap"><table id="members">
<caption>${search ? html`Members whose username starts with <code>${search}</code>` : 'Members'}</caption>
<thead><tr><th scope="col">Username</th><th scope="col">Email</th><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Joined</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`
}
${pager('Member pages', [
  after ? html`<a href="${consoleHref(MEMBERS_PATH, { q: search })}">First page</a>` : null,
  next ? html`<a href="${next}" id="next-members" rel="next">Next page</a>` : null,
])}`;
  return page(request, { title: 'Members', section: MEMBERS_PATH, body });
}

async function confirmRemoval(request: ConsoleRequest, username: string, problem: DomainError | null = null) {
  const { admin, ctx } = request;
  const member = await ctx.services.members.get(admin.group, username);
  const self = member.user.id === admin.user.id;
  const name = member.user.username;
  return confirmationPage(request, {
    title: `Remove ${name}`,
    section: MEMBERS_PATH,
    heading: `Remove ${name} from ${admin.group.title ?? admin.group.slug}?`,
    facts: html`<dl class="facts" id="member-facts">
<dt>Username</dt><dd>${name}</dd>
<dt>Email</dt><dd>${member.user.email}</dd>
<dt>Role</dt><dd>${member.role}</dd>
<dt>Joined</dt><dd>${time(member.joinedAt)}</dd>
</dl>`,
    consequence: self
      ? 'This is you: you leave the group, and this session ends with your others here.'
      : `${name} leaves the group at once, and every session of theirs in this group ends. Their account stays, and so do their other groups.`,
    action: REMOVE_PATH,
    fields: { username: name },
    button: `Remove ${name}`,
    problem,
  });
}

async function remove(request: ConsoleRequest) {
  const { form, admin, ctx } = request;
  const username = field(form, 'username') ?? '';
  try {
    await formWrite(request, removeMemberPolicy, ({ group, caller }) =>
      ctx.services.members.remove(group, username, { keepLastAdmin: true }, caller),
    );
  } catch (error) {
    // The last admin: the confirmation again, saying why not.
    return confirmRemoval(request, username, formProblem(request, error, ['InvalidInput']));
  }
  // Removing oneself ends this session too: the console is no longer open to them.
  return seeOther(normalizeUsername(username) === admin.user.username ? '/' : `${MEMBERS_PATH}?done=removed`);
}

export const memberRoutes: ConsoleRoutes = {
  [MEMBERS_PATH]: { GET: membersPage },
  [REMOVE_PATH]: { GET: (request) => confirmRemoval(request, field(request.query, 'username') ?? ''), POST: remove },
};
