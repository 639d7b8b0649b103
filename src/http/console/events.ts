/** The event log (API.md §13), newest first, filtered by type, a page at a time. */
import type { EventRecord } from '../../db/store.ts';
import { decodeCursor, EventCursor, eventCursorOf } from '../../domain/cursors.ts';
import { eventTypes } from '../../domain/events.ts';
import { html, type SafeHtml } from '../html.ts';
import { CONSOLE_PATH, consoleHref, pager, time } from './layout.ts';
import { type ConsoleRequest, type ConsoleRoutes, field, page } from './request.ts';

const EVENTS_PATH = `${CONSOLE_PATH}/events`;
const PAGE_SIZE = 25;

/** Who did it, in words: an admin or member by name, an API token by label, the CLI, the server. */
export function describeActor(event: EventRecord): SafeHtml | string {
  const { actor } = event;
  switch (actor.type) {
    case 'user':
      return html`<strong>${actor.name ?? actor.id}</strong>`;
    case 'api_token':
      return html`API token ${actor.name ? html`<strong>${actor.name}</strong>` : html`<code>${actor.id ?? ''}</code>`}`;
    case 'cli':
      return 'an operator (CLI)';
    default:
      return 'the server';
  }
}

/** What it happened to. */
export function describeTarget(event: EventRecord): SafeHtml {
  const { target } = event;
  const kind = { user: 'user', api_token: 'API token', group: 'group', webhook_endpoint: 'webhook' }[target.type] ?? target.type;
  return html`${kind} <strong>${target.name ?? target.id}</strong>`;
}

async function eventsPage(request: ConsoleRequest) {
  const { query, admin, ctx } = request;
  const type = field(query, 'types');
  const after = field(query, 'after');
  const found = await ctx.services.events.recent(admin.group, {
    first: PAGE_SIZE,
    before: decodeCursor(after, EventCursor),
    types: type === null ? null : [type],
  });
  const older = found.hasNextPage ? consoleHref(EVENTS_PATH, { types: type, after: eventCursorOf(found.events.at(-1)!) }) : null;
  const rows = found.events.map(
    (e) => html`<tr>
<td class="when">${time(e.occurredAt)}</td>
<td><code class="nowrap">${e.type}</code></td>
<td class="about">${describeTarget(e)}</td>
<td class="by">${describeActor(e)}${e.ip ? html`<br><span class="small muted nowrap">from ${e.ip}</span>` : null}</td>
<td><details><summary>Details<span class="sr"> of ${e.type} at ${new Date(e.occurredAt).toISOString()}</span></summary>
<pre>${JSON.stringify(JSON.parse(e.data), null, 2)}</pre>
<p class="small muted">Event <code>${e.id}</code>${e.requestId ? html`, request <code>${e.requestId}</code>` : null}${e.userAgent ? html`, ${e.userAgent}` : null}</p>
</details></td>
</tr>`,
  );
  const body = html`<h1>Events</h1>
<p class="lead">Every change in the group, newest first, with who made it and from where. Events are kept ${ctx.config.eventRetentionDays} days.</p>
<form method="get" action="${EVENTS_PATH}" class="inline" role="search" aria-label="Filter events">
<div><label for="types">Type</label><br>
<select id="types" name="types">
<option value="">Every type</option>
${eventTypes.map((t) => html`<option value="${t}"${t === type ? html` selected` : null}>${t}</option>`)}
</select></div>
<button type="submit" class="secondary">Show</button>
</form>
${
  rows.length === 0
    ? html`<p id="no-events" class="muted">${after ? 'No older events.' : type ? html`No <code>${type}</code> events.` : 'No events yet.'}</p>`
    : html`<div class="wrap"><table id="events" class="log">
<caption>${type ? html`<code>${type}</code> events` : 'Events'}${after ? ', older' : ', newest first'}</caption>
<thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">About</th><th scope="col">By</th><th scope="col">More</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`
}
${pager('Event pages', [
  after ? html`<a href="${consoleHref(EVENTS_PATH, { types: type })}">Newest events</a>` : null,
  older ? html`<a href="${older}" id="older-events" rel="next">Older events</a>` : null,
])}`;
  return page(request, { title: 'Events', section: EVENTS_PATH, body });
}

export const eventRoutes: ConsoleRoutes = {
  [EVENTS_PATH]: { GET: eventsPage },
};
