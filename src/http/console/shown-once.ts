/**
 * Secrets shown once (an API token, a webhook's signing secret): created by a form
 * whose POST answers with the secret itself, never in a URL or a cookie. A reload
 * of that answer sends the form again, so each form carries a random key and
 * creates once under it (an idempotency key of the group, API.md §11).
 */
import { newSecret } from '../../domain/secrets.ts';
import { DomainError, invalidInput } from '../../errors/domain-error.ts';
import type { GroupCallers, WritePolicy } from '../../requests/write-policies.ts';
import { type GroupWriteCall, runWrite } from '../../requests/write-runner.ts';
import type { Reply } from '../../requests/exchange.ts';
import { html, type SafeHtml } from '../html.ts';
import { FORM_TOKEN_FIELD, type SectionPath, time } from './layout.ts';
import { type ConsoleRequest, formWriteRequest, page } from './request.ts';

/** The hidden field of a form that creates something shown once: a random key that makes the form create once. */
export const FORM_KEY_FIELD = 'formKey';
const FORM_KEY = /^[A-Za-z0-9_-]{43}$/;

/** A fresh key for a create form (see createOnce). */
export function formKeyField(): SafeHtml {
  return html`<input type="hidden" name="${FORM_KEY_FIELD}" value="${newSecret()}">`;
}

/**
 * Runs a create under the form's key: the same form sent again (a reload, a second
 * click) creates nothing more and answers the record it created, with no secret
 * (`secret: null`). A refusal is thrown, the same each time.
 */
export async function createOnce<T>(
  request: ConsoleRequest,
  policy: WritePolicy<GroupCallers, T>,
  operation: string,
  create: (call: GroupWriteCall<T>) => Promise<{ record: T; secret: string }>,
): Promise<{ record: T; secret: string | null }> {
  const { form } = request;
  const formKey = form.get(FORM_KEY_FIELD);
  if (formKey === null || !FORM_KEY.test(formKey)) throw invalidInput(FORM_KEY_FIELD, 'the form must carry the key it was shown with');
  // The request, as a reload sends it again: the fields that say what to create.
  const fields = [...form].filter(([name]) => name !== FORM_TOKEN_FIELD && name !== FORM_KEY_FIELD);
  const write = { ...formWriteRequest(request), body: fields, field: operation, key: `console:${formKey}` };
  let secret: string | null = null;
  const { outcome, replayed } = await runWrite(policy, request.ctx, write, async (call) => {
    const created = await create(call);
    secret = created.secret;
    return created.record;
  });
  if (outcome instanceof DomainError) throw outcome;
  return { record: outcome, secret: replayed ? null : secret };
}

export interface ShownOnce {
  /** The page's title; the same form sent again gets it with "already". */
  title: string;
  section: SectionPath;
  heading: string;
  /** What was created, in words ("API token") and as a short list. */
  what: string;
  facts: SafeHtml;
  createdAt: number;
  /** The secret's name, e.g. "API token". */
  label: string;
  /** The secret, or null when the same form was sent again (see createOnce). */
  secret: string | null;
  /** Why it cannot be shown again. */
  why: string;
  /** How to use it. */
  usage: SafeHtml;
  /** What to do if the secret was not copied, e.g. "revoke it and create another". */
  remedy: string;
}

/**
 * The answer to a create: the secret, once, with a copy button (JavaScript) and a
 * field to select it by hand (without). To the same create form sent again: what
 * it created the first time, and that its secret is gone.
 */
export function secretPage(request: ConsoleRequest, shown: ShownOnce): Reply {
  if (shown.secret === null) {
    const body = html`<h1 id="created-heading">This ${shown.what} was created already</h1>
<p>This form was sent before (by a reload, perhaps), and created the ${shown.what} below at ${time(shown.createdAt)}. Nothing more was created.</p>
${shown.facts}
<p class="warning">Its secret was shown once, on the first answer, and cannot be shown again. If you did not copy it, ${shown.remedy}.</p>
<p><a class="button" href="${shown.section}" id="done">Back to the list</a></p>`;
    return page(request, { title: `${shown.title} already`, section: shown.section, body });
  }
  const body = html`<h1 id="created-heading">${shown.heading}</h1>
${shown.facts}
<div class="field">
<label for="secret">${shown.label}</label>
<div class="secret">
<input type="text" id="secret" value="${shown.secret}" readonly spellcheck="false" autocomplete="off" aria-describedby="secret-warning">
<button type="button" class="secondary" id="copy" data-copy="secret" hidden>Copy</button>
</div>
<span id="secret-status" class="small" role="status"></span>
</div>
<p class="warning" id="secret-warning"><strong>Copy it now: it is shown only this once.</strong> ${shown.why} Keep it where your backend keeps its secrets.</p>
${shown.usage}
<p><a class="button" href="${shown.section}" id="done">Done</a></p>`;
  return page(request, { title: shown.title, section: shown.section, body, copyButton: true });
}
