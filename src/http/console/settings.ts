/** The group's settings (updateGroup): title, API on or off, allowed email domains, sign-in confirmation, admins' sign-in through API tokens. */
import type { GroupRecord } from '../../db/store.ts';
import type { GroupSettings } from '../../domain/groups.ts';
import type { DomainError } from '../../errors/domain-error.ts';
import { updateGroupPolicy } from '../../requests/write-policies.ts';
import { html, type SafeHtml } from '../html.ts';
import { CONSOLE_PATH, fieldProblem, formTokenField, noticeOf, problemSummary } from './layout.ts';
import { type ConsoleRequest, type ConsoleRoutes, field, formProblem, formWrite, page, seeOther } from './request.ts';

const SETTINGS_PATH = `${CONSOLE_PATH}/settings`;

const notices = { saved: 'The settings were saved.' };

/** The settings as a short list (the overview shows it too). */
export function settingsSummary(group: GroupRecord): SafeHtml {
  return html`<dl class="facts" id="settings-summary">
<dt>Title</dt><dd>${group.title ?? html`<span class="muted">none</span>`}</dd>
<dt>API</dt><dd id="summary-api">${group.isApiEnabled ? html`<span class="badge ok">on</span> API tokens may call the API` : html`<span class="badge bad">off</span> API tokens are refused (ApiIsDisabled)`}</dd>
<dt>Email domains</dt><dd>${group.allowedDomains.length ? group.allowedDomains.join(', ') : html`<span class="muted">any</span>`}</dd>
<dt>Sign-in links</dt><dd id="summary-confirmation">${group.requireSignInConfirmation ? 'show a Continue page first' : 'sign in at once'}</dd>
<dt>Admins through API tokens</dt><dd id="summary-admin-sign-in">${group.adminSignInWithApiToken ? 'API tokens may make sign-in links for admins' : html`<span class="badge bad">off</span> API tokens may not make sign-in links for admins (SignInNotAllowed)`}</dd>
</dl>`;
}

/** What the form holds: the group's settings (its title and domains as text), or what was sent when it was refused. */
type SettingsForm = Pick<GroupRecord, 'isApiEnabled' | 'requireSignInConfirmation' | 'adminSignInWithApiToken'> & {
  title: string;
  allowedDomains: string;
};

function formOf(group: GroupRecord): SettingsForm {
  return { ...group, title: group.title ?? '', allowedDomains: group.allowedDomains.join('\n') };
}

function settingsPage(request: ConsoleRequest, values: SettingsForm, problem: DomainError | null = null) {
  const title = fieldProblem(problem, 'title', 'title-hint');
  const domains = fieldProblem(problem, 'allowedDomains', 'domains-hint');
  const checked = (on: boolean) => (on ? html` checked` : null);
  const body = html`<h1>Settings</h1>
<p class="lead">How the group’s API and sign-in links behave. Every change is recorded in the event log.</p>
${noticeOf(request.query, notices)}
${problem ? problemSummary(problem) : null}
<form method="post" action="${SETTINGS_PATH}" class="stack" novalidate>
${formTokenField(request.formToken)}
<div class="field">
<label for="title">Title</label>
<span class="hint" id="title-hint">The group’s name as people read it. At most 100 characters; empty for none.</span>
${title.message}<input type="text" id="title" name="title" value="${values.title}" maxlength="100"${title.attributes}>
</div>
<fieldset>
<legend>API</legend>
<div class="check"><input type="checkbox" id="isApiEnabled" name="isApiEnabled" value="true"${checked(values.isApiEnabled)} aria-describedby="api-hint">
<label for="isApiEnabled">API tokens may call the API</label></div>
<span class="hint" id="api-hint">Off, every API token of the group is refused with ApiIsDisabled. Administrators keep the console.</span>
</fieldset>
<div class="field">
<label for="allowedDomains">Allowed email domains</label>
<span class="hint" id="domains-hint">New users’ email addresses must be at one of these domains, one a line. Empty allows any domain.</span>
${domains.message}<textarea id="allowedDomains" name="allowedDomains" rows="4"${domains.attributes}>${values.allowedDomains}</textarea>
</div>
<fieldset>
<legend>Sign-in links</legend>
<div class="check"><input type="checkbox" id="requireSignInConfirmation" name="requireSignInConfirmation" value="true"${checked(values.requireSignInConfirmation)} aria-describedby="confirmation-hint">
<label for="requireSignInConfirmation">Show a Continue page before signing in</label></div>
<span class="hint" id="confirmation-hint">For links sent by email or chat, whose scanners open every link: the link signs in only when its owner presses Continue. A backend can still choose per link.</span>
</fieldset>
<fieldset aria-describedby="admin-sign-in-hint">
<legend>Administrators’ sign-in links</legend>
<span class="hint" id="admin-sign-in-hint">Whether the group’s API tokens may make sign-in links for its administrators. Refused, the API answers SignInNotAllowed, so a leaked token cannot sign in as one; administrators then sign in with a link from the CLI (<code>login-link</code>).</span>
<div class="check"><input type="radio" id="adminSignInWithApiToken-on" name="adminSignInWithApiToken" value="true"${checked(values.adminSignInWithApiToken)}>
<label for="adminSignInWithApiToken-on">API tokens may make them</label></div>
<div class="check"><input type="radio" id="adminSignInWithApiToken-off" name="adminSignInWithApiToken" value="false"${checked(!values.adminSignInWithApiToken)}>
<label for="adminSignInWithApiToken-off">Only the CLI may make them</label></div>
</fieldset>
<div class="buttons"><button type="submit" id="save-settings">Save settings</button></div>
</form>`;
  return page(request, { title: 'Settings', section: SETTINGS_PATH, body, status: problem?.status });
}

async function saveSettings(request: ConsoleRequest) {
  const { form, ctx } = request;
  const adminSignIn = form.get('adminSignInWithApiToken');
  const values: SettingsForm = {
    title: form.get('title') ?? '',
    // A checkbox that is not checked is not sent.
    isApiEnabled: form.get('isApiEnabled') === 'true',
    allowedDomains: form.get('allowedDomains') ?? '',
    requireSignInConfirmation: form.get('requireSignInConfirmation') === 'true',
    // Two radio buttons, so one is always sent; a form without them (an older page) leaves the setting as it is.
    adminSignInWithApiToken: adminSignIn === null ? request.admin.group.adminSignInWithApiToken : adminSignIn === 'true',
  };
  const settings: GroupSettings = {
    title: field(form, 'title'),
    isApiEnabled: values.isApiEnabled,
    // One a line (a browser sends CRLF), or separated by commas.
    allowedDomains: values.allowedDomains.split(/[\r\n,]+/).filter((domain) => domain.trim() !== ''),
    requireSignInConfirmation: values.requireSignInConfirmation,
    adminSignInWithApiToken: adminSignIn === null ? undefined : values.adminSignInWithApiToken,
  };
  try {
    await formWrite(request, updateGroupPolicy, ({ group, caller }) => ctx.services.groups.update(group, settings, caller));
  } catch (error) {
    return settingsPage(request, values, formProblem(request, error, ['InvalidInput']));
  }
  return seeOther(`${SETTINGS_PATH}?done=saved`);
}

export const settingsRoutes: ConsoleRoutes = {
  [SETTINGS_PATH]: { GET: async (request) => settingsPage(request, formOf(request.admin.group)), POST: saveSettings },
};
