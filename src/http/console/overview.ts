/** The console's first page: the group, what it holds, its settings at a glance, and what happened last. */
import { html } from '../html.ts';
import { describeActor, describeTarget } from './events.ts';
import { CONSOLE_PATH, time } from './layout.ts';
import { type ConsoleRequest, type ConsoleRoutes, page } from './request.ts';
import { settingsSummary } from './settings.ts';

const LATEST_EVENTS = 5;

async function overview(request: ConsoleRequest) {
  const { group } = request.admin;
  const { services } = request.ctx;
  const [counts, latest] = await Promise.all([
    services.groups.counts(group),
    services.events.recent(group, { first: LATEST_EVENTS, before: null, types: null }),
  ]);
  const card = (path: string, id: string, count: number, label: string, detail: string | null = null) =>
    html`<li><a href="${CONSOLE_PATH}/${path}"><span class="n" id="${id}">${count}</span>${label}${detail ? html`<br><span class="small muted">${detail}</span>` : null}</a></li>`;
  const body = html`<h1>${group.title ?? group.slug}</h1>
<p class="lead">Group <code id="group-slug">${group.slug}</code>, created ${time(group.createdAt)}.</p>
<h2 id="counts">At a glance</h2>
<ul class="cards" aria-labelledby="counts">
${card('members', 'count-members', counts.members, counts.members === 1 ? ' member' : ' members', `${counts.admins} ${counts.admins === 1 ? 'admin' : 'admins'}`)}
${card('api-tokens', 'count-api-tokens', counts.apiTokens, counts.apiTokens === 1 ? ' API token' : ' API tokens', 'not revoked')}
${card('sessions', 'count-sessions', counts.sessions, counts.sessions === 1 ? ' session' : ' sessions', 'signed in now')}
${card('webhooks', 'count-webhooks', counts.webhookEndpoints, counts.webhookEndpoints === 1 ? ' webhook' : ' webhooks')}
</ul>
<h2>Settings</h2>
${settingsSummary(group)}
<p><a href="${CONSOLE_PATH}/settings">Change the settings</a></p>
<h2>Latest events</h2>
${
  latest.events.length === 0
    ? html`<p class="muted">Nothing has happened yet.</p>`
    : html`<ul id="latest-events">${latest.events.map(
        (e) => html`<li>${time(e.occurredAt)}: <code>${e.type}</code>, ${describeTarget(e)}, by ${describeActor(e)}</li>`,
      )}</ul>`
}
<p><a href="${CONSOLE_PATH}/events">See every event</a></p>`;
  return page(request, { title: 'Overview', section: CONSOLE_PATH, body });
}

export const overviewRoutes: ConsoleRoutes = {
  [CONSOLE_PATH]: { GET: overview },
};
