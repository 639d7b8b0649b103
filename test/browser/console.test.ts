/**
 * The admin console (API.md §16) in headless Chromium, against the real server on
 * the run's database, as a group admin would use it: signed in with a link the real
 * CLI prints, an API token made, copied and used from outside, reloaded without a
 * second one, revoked and refused; a member found and removed, their session gone;
 * settings changed and taking effect; a webhook added and its deliveries seen; the
 * event log filtered. A member who is not an admin, a signed-out visitor and a form
 * posted from another site are refused; every control is reached by keyboard alone,
 * with a visible focus. Each page is screenshot into test-artifacts/console-*.png.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopeOf } from '../../src/errors/catalog.ts';
import { launchChromium, SLOW, screenshot } from '../support/chromium.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { adminEntry, run, type RunningServer, startServer } from '../support/processes.ts';
import { type Receiver, startReceiver, WEBHOOK_TEST_ENV } from '../support/webhooks.ts';

let database: TestDatabase;
let server: RunningServer;
let browser: Browser;
let receiver: Receiver;
/** Alice's browser: the group's admin, signed in once for the whole file. */
let admin: BrowserContext;
let page: Page;
/** What the Content-Security-Policy blocked on any console page (must stay empty). */
const blocked: string[] = [];

const DESKTOP = { viewport: { width: 1280, height: 800 } };
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

beforeAll(async () => {
  [database, browser, receiver] = await Promise.all([
    createTestDatabase({ shared: true }),
    launchChromium(),
    startReceiver((_delivery, index) => (index === 0 ? 503 : 204)),
  ]);
  server = await startServer({ DATABASE_URL: database.url, ...WEBHOOK_TEST_ENV });
  for (const [username, firstName, lastName] of [
    ['alice', 'Alice', 'Moreau'],
    ['brian', 'Brian', 'Okafor'],
    ['bridget', 'Bridget', null],
    ['chandra', 'Chandra', 'Rao'],
  ] as const) {
    await api('/-/api/user/create', { email: `${username}@demo.example`, username, firstName, lastName });
  }
  await cli('member', 'add', 'demo', 'alice', '--role', 'admin');
  admin = await browser.newContext(DESKTOP);
  page = await watched(admin);
}, SLOW);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await receiver?.close();
  await database?.close();
});

const console_ = (path = '') => `${server.groupOrigin('demo')}/admin${path}`;

/** The real admin CLI on the server's database, printing URLs for the server's public origin. */
async function cli(...args: string[]): Promise<string> {
  const result = await run(process.execPath, [...adminEntry, ...args], { DATABASE_URL: database.url, PUBLIC_URL: server.origin });
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim();
}

/** A request to the API as a backend (curl) would send it, with the given API token. */
async function withToken(token: string, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.origin}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function api(path: string, body: unknown): Promise<any> {
  const answer = await withToken(server.demoToken!, path, body);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.data;
}

async function watched(context: BrowserContext): Promise<Page> {
  const opened = await context.newPage();
  opened.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) blocked.push(`${opened.url()}: ${m.text()}`);
  });
  return opened;
}

/** Submits by clicking and waits for the page the browser lands on; returns its status. */
async function submit(on: Page, selector: string): Promise<number | undefined> {
  const [response] = await Promise.all([on.waitForNavigation({ waitUntil: 'load' }), on.locator(selector).click()]);
  return response?.status();
}

const text = async (on: Page, selector: string) => (await on.locator(selector).textContent())?.trim();

async function tokenLabels(): Promise<Array<{ label: string | null; revokedAt: string | null }>> {
  return JSON.parse(await cli('token', 'list', 'demo', '--json')).tokens;
}

describe('the admin console in a browser', () => {
  it('lets the first admin in with a link from the CLI, and shows the group at a glance', async () => {
    const loginUrl = await cli('login-link', 'demo', 'alice');
    expect(loginUrl.startsWith(`${server.groupOrigin('demo')}/-/api/ssotoken/login?token=`)).toBe(true);
    await page.goto(loginUrl);
    expect(page.url()).toBe(`${server.groupOrigin('demo')}/`);
    expect(await submit(page, '#console-link')).toBe(200);
    expect(page.url()).toBe(console_());
    expect(await text(page, 'h1')).toBe('Demo group');
    expect(await text(page, '#console-user')).toBe('alice');
    expect(await text(page, '#count-members')).toBe('4');
    expect(await page.locator('nav[aria-label="Console sections"] a[aria-current="page"]').textContent()).toBe('Overview');
    await screenshot(page, 'console-overview');

    // On a phone the sections wrap above the content, and nothing is wider than the screen.
    const phone = await browser.newContext({ ...PHONE, storageState: await admin.storageState() });
    try {
      const small = await watched(phone);
      for (const path of ['', '/members', '/events', '/webhooks']) {
        await small.goto(console_(path));
        expect(await small.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), path).toBe(true);
      }
      await small.goto(console_());
      await screenshot(small, 'console-overview-phone');
    } finally {
      await phone.close();
    }
  }, SLOW);

  it('makes an API token, shown once with a copy button; the backend uses it; a reload makes no second one; revoked, it is refused', async () => {
    await admin.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.groupOrigin('demo') });
    await page.goto(console_('/api-tokens'));
    await page.locator('#label').fill('billing backend');
    expect(await submit(page, '#create-token')).toBe(200);
    expect(await text(page, '#created-heading')).toBe('API token “billing backend” created');
    const token = await page.locator('#secret').inputValue();
    expect(token).toMatch(/^tapi_[A-Za-z0-9_-]{43}$/);
    expect(page.url()).toBe(console_('/api-tokens'));
    expect(page.url()).not.toContain(token);
    expect((await admin.cookies()).map((c) => c.value).join(' ')).not.toContain(token);

    // With JavaScript, the copy button is there and puts the token on the clipboard.
    await page.locator('#copy').click();
    await expect.poll(() => text(page, '#secret-status')).toBe('Copied to the clipboard.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    await screenshot(page, 'console-api-token-created');

    // The backend uses it, as curl would.
    const created = await withToken(token, '/-/api/user/create', { email: 'dora@demo.example', username: 'dora-m' });
    expect(created).toEqual({ status: 200, body: { data: { username: 'dora-m' } } });

    // A reload sends the form again: nothing more is made, and the page says so without the secret.
    const reloaded = await page.reload({ waitUntil: 'load' });
    expect(reloaded?.status()).toBe(200);
    expect(await text(page, '#created-heading')).toBe('This API token was created already');
    expect(await page.content()).not.toContain(token);
    expect((await tokenLabels()).filter((k) => k.label === 'billing backend')).toHaveLength(1);

    expect(await submit(page, '#done')).toBe(200);
    const row = page.locator('#api-tokens tbody tr', { hasText: 'billing backend' });
    expect(await row.locator('time').count()).toBe(2); // created, and last used just now
    await screenshot(page, 'console-api-tokens');

    expect(await submit(page, '#api-tokens tbody tr:has-text("billing backend") a')).toBe(200);
    expect(await text(page, '#confirm-heading')).toBe('Revoke the API token “billing backend”?');
    await screenshot(page, 'console-api-token-revoke');
    expect(await submit(page, '#confirm')).toBe(200);
    expect(page.url()).toBe(console_('/api-tokens?done=revoked'));
    expect(await text(page, '#notice')).toContain('The API token was revoked');

    const refused = await withToken(token, '/-/api/user/create', { email: 'eve@demo.example', username: 'eve-x' });
    expect(refused.status).toBe(envelopeOf('InvalidApiToken').status);
    expect(refused.body.error).toEqual(envelopeOf('InvalidApiToken'));
  }, SLOW);

  it('refuses a member who is not an admin (403) and a signed-out visitor (401), showing none of the group', async () => {
    const member = await browser.newContext(DESKTOP);
    try {
      const brian = await watched(member);
      await brian.goto(await cli('login-link', 'demo', 'brian', '--redirect-to', '/admin'));
      expect(brian.url()).toBe(console_());
      expect(await text(brian, 'h1')).toBe('You are not an administrator of demo');
      const response = await brian.goto(console_('/members'));
      expect(response?.status()).toBe(403);
      expect(await brian.content()).not.toContain('chandra');
      await screenshot(brian, 'console-refused-member');
    } finally {
      await member.close();
    }
    const visitor = await browser.newContext(DESKTOP);
    try {
      const nobody = await watched(visitor);
      const response = await nobody.goto(console_('/api-tokens'));
      expect(response?.status()).toBe(401);
      expect(await text(nobody, 'h1')).toBe('Sign in to manage demo');
      expect(await nobody.content()).not.toContain('billing');
      await screenshot(nobody, 'console-refused-signed-out');
    } finally {
      await visitor.close();
    }
  }, SLOW);

  it('finds a member by username prefix and removes them after confirming: their session ends', async () => {
    const member = await browser.newContext(DESKTOP);
    try {
      const brian = await watched(member);
      await brian.goto(await cli('login-link', 'demo', 'brian'));
      expect(await text(brian, '#username')).toBe('brian');

      await page.goto(console_('/members'));
      await page.locator('#q').fill('BRI');
      await page.locator('#q').press('Enter');
      await page.waitForURL(/q=BRI/);
      expect(await page.locator('#members tbody th').allTextContents()).toEqual(['brian', 'bridget']);
      await screenshot(page, 'console-members');

      expect(await submit(page, '#members tbody tr:has-text("brian@demo.example") a')).toBe(200);
      expect(await text(page, '#confirm-heading')).toBe('Remove brian from Demo group?');
      await screenshot(page, 'console-member-remove');
      expect(await submit(page, '#confirm')).toBe(200);
      expect(await text(page, '#notice')).toBe('The member was removed, and their sessions in this group ended.');
      expect(await page.locator('#members tbody th').allTextContents()).not.toContain('brian');

      await brian.reload();
      expect(await text(brian, 'h1')).toBe('Not signed in');
    } finally {
      await member.close();
    }
  }, SLOW);

  it('changes the settings and they take effect: API off refuses tokens; sign-in confirmation on makes links ask first', async () => {
    await page.goto(console_('/settings'));
    // A refusal first: shown beside its field with the catalog's message, nothing saved.
    await page.locator('#allowedDomains').fill('demo.example\nnot a domain');
    expect(await submit(page, '#save-settings')).toBe(envelopeOf('InvalidInput').status);
    expect(await text(page, '#problem h2')).toBe(envelopeOf('InvalidInput').message);
    expect(await text(page, '#allowedDomains-error')).toBe('"not a domain" is not a domain name');
    expect(await page.locator('#allowedDomains').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'console-settings-refused');

    await page.locator('#allowedDomains').fill('demo.example');
    await page.locator('#isApiEnabled').uncheck();
    await page.locator('#requireSignInConfirmation').check();
    expect(await submit(page, '#save-settings')).toBe(200);
    expect(page.url()).toBe(console_('/settings?done=saved'));
    expect(await text(page, '#notice')).toBe('The settings were saved.');
    await screenshot(page, 'console-settings');

    const off = await withToken(server.demoToken!, '/-/api/ssotoken/create', { username: 'chandra' });
    expect(off.status).toBe(envelopeOf('ApiIsDisabled').status);
    expect(off.body.error).toEqual(envelopeOf('ApiIsDisabled'));

    await page.locator('#isApiEnabled').check();
    expect(await submit(page, '#save-settings')).toBe(200);
    const { loginUrl, requireConfirmation } = await api('/-/api/ssotoken/create', { username: 'chandra' });
    expect(requireConfirmation).toBe(true);
    const reader = await browser.newContext(DESKTOP);
    try {
      const chandra = await watched(reader);
      expect((await chandra.goto(loginUrl))?.status()).toBe(200);
      expect(await text(chandra, '#continue')).toBe('Continue');
    } finally {
      await reader.close();
    }
    // The allowed domains apply to new users too.
    const outside = await withToken(server.demoToken!, '/-/api/user/create', { email: 'fay@elsewhere.example', username: 'fay-x' });
    expect(outside.body.error.code).toBe('InvalidEmailDomain');
  }, SLOW);

  it('adds a webhook (secret shown once) and shows its deliveries, a failure and its retry', async () => {
    await page.goto(console_('/webhooks'));
    await page.locator('#url').fill(receiver.url('/console'));
    await page.locator('label:has-text("user.created")').click();
    expect(await submit(page, '#add-webhook')).toBe(200);
    expect(await text(page, '#created-heading')).toBe('Webhook endpoint added');
    const secret = await page.locator('#secret').inputValue();
    expect(secret).toMatch(/^whsec_/);
    await screenshot(page, 'console-webhook-created');

    await api('/-/api/user/create', { email: 'gus@demo.example', username: 'gus-w' });
    await receiver.waitFor('the retry after a 503', () => receiver.at('/console').length >= 2);
    receiver.verifyAll('/console', secret);
    expect(receiver.at('/console').map((d) => d.payload.type)).toEqual(['user.created', 'user.created']);

    // The retry's outcome is written by the delivery thread just after the receiver answers.
    await expect
      .poll(async () => {
        await page.goto(console_('/webhooks'));
        return page.locator('.deliveries tbody tr').count();
      }, { timeout: 30_000 })
      .toBe(2);
    const statuses = await page.locator('.deliveries tbody tr .badge').allTextContents();
    expect(statuses).toEqual(['204', '503']);
    await screenshot(page, 'console-webhooks');
  }, SLOW);

  it('shows the event log newest first, filtered by type', async () => {
    await page.goto(console_('/events'));
    const times = await page.locator('#events tbody tr td:first-child time').evaluateAll((els) => els.map((el) => el.getAttribute('datetime')!));
    expect(times.length).toBeGreaterThan(10);
    expect([...times].sort().reverse()).toEqual(times);
    await page.locator('#types').selectOption('member.removed');
    expect(await submit(page, 'form[role="search"] button')).toBe(200);
    expect(page.url()).toBe(console_('/events?types=member.removed'));
    expect(await page.locator('#events tbody tr').count()).toBe(1);
    expect(await page.locator('#events tbody tr').textContent()).toContain('brian');
    await page.locator('#types').selectOption('');
    await submit(page, 'form[role="search"] button');
    await screenshot(page, 'console-events');
  }, SLOW);

  it('lists the sessions and ends one', async () => {
    const other = await browser.newContext(DESKTOP);
    try {
      const chandra = await watched(other);
      // The group asks for a confirmation now (the settings above): the link shows Continue first.
      await chandra.goto(await cli('login-link', 'demo', 'chandra'));
      await submit(chandra, '#continue');
      expect(await text(chandra, '#username')).toBe('chandra');

      await page.goto(console_('/sessions'));
      expect(await page.locator('#sessions tbody th').allTextContents()).toEqual(['alice this browser', 'chandra']);
      await screenshot(page, 'console-sessions');
      expect(await submit(page, '#sessions tbody tr:has-text("chandra") button')).toBe(200);
      expect(await text(page, '#notice')).toBe('The session was ended: that browser is signed out.');
      await chandra.reload();
      expect(await text(chandra, 'h1')).toBe('Not signed in');
    } finally {
      await other.close();
    }
  }, SLOW);

  it('refuses a form posted from another site, or a sibling group’s domain, with the admin’s cookie', async () => {
    const before = await tokenLabels();
    const action = console_('/api-tokens');
    const attackers = [`http://evil.localhost:${server.port}`, 'http://attacker.test'];
    for (const origin of attackers) {
      await admin.route(`${origin}/**`, (route) =>
        route.fulfill({
          status: 200,
          contentType: 'text/html',
          body: `<!doctype html><form method="post" action="${action}"><input name="label" value="forged"><input name="formKey" value="${'k'.repeat(43)}"><button id="go">Win</button></form>`,
        }),
      );
      const attacker = await watched(admin);
      try {
        await attacker.goto(`${origin}/prize`);
        // A sibling group's domain is the same site, so the cookie goes along; another site's post
        // goes without it (SameSite=Lax). Either way, Sec-Fetch-Site gives the post away first.
        expect(await submit(attacker, '#go'), origin).toBe(envelopeOf('InvalidInput').status);
        expect(await text(attacker, 'h1')).toBe('This form did not come from this console');
        expect(await text(attacker, '#error-code')).toBe('InvalidInput');
      } finally {
        await attacker.close();
        await admin.unroute(`${origin}/**`);
      }
    }
    expect(await tokenLabels()).toEqual(before);
  }, SLOW);

  it('is usable by keyboard alone: every control is reached by Tab, with a visible focus, and a token is made without a mouse', async () => {
    const pages = ['', '/members', '/api-tokens', '/sessions', '/settings', '/events', '/webhooks', '/members/remove?username=chandra'];
    for (const path of pages) {
      await page.goto(console_(path));
      const controls = await page.evaluate(() => {
        const all = [...document.querySelectorAll<HTMLElement>('a[href], button, input:not([type=hidden]), select, textarea, summary')];
        // The skip link is off screen until focused; everything else that is shown counts.
        const shown = all.filter((el) => el.classList.contains('skip') || (!el.hidden && el.getClientRects().length > 0));
        // A radio group is one stop of Tab (its checked button); the arrow keys move within it.
        const tabStops = shown.filter((el) => !(el instanceof HTMLInputElement && el.type === 'radio' && !el.checked));
        tabStops.forEach((el, i) => (el.dataset.kb = String(i)));
        return tabStops.length;
      });
      // At least the skip link, the seven sections and the sign-out button.
      expect(controls).toBeGreaterThanOrEqual(9);
      // What a screen reader finds: one main and one h1, named navigation, every field labelled,
      // every link and button with words, every table with a caption and header cells.
      expect(
        await page.evaluate(() => ({
          main: document.querySelectorAll('main').length,
          h1: document.querySelectorAll('h1').length,
          unnamedNavs: [...document.querySelectorAll('nav')].filter((n) => !n.getAttribute('aria-label')).length,
          unlabelled: [...document.querySelectorAll<HTMLInputElement>('input:not([type=hidden]), select, textarea')]
            .filter((el) => !el.labels?.length && !el.getAttribute('aria-label'))
            .map((el) => el.outerHTML),
          wordless: [...document.querySelectorAll('a[href], button')].filter((el) => !el.textContent?.trim()).map((el) => el.outerHTML),
          tablesWithoutCaption: [...document.querySelectorAll('table')].filter((t) => !t.caption || !t.querySelector('th[scope]')).length,
        })),
        path,
      ).toEqual({ main: 1, h1: 1, unnamedNavs: 0, unlabelled: [], wordless: [], tablesWithoutCaption: 0 });
      const reached = new Set<string>();
      await page.locator('body').focus();
      for (let i = 0; i < controls + 3; i++) {
        await page.keyboard.press('Tab');
        const focused = await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          if (!el || el === document.body || el.dataset.kb === undefined) return null;
          const style = getComputedStyle(el);
          return { kb: el.dataset.kb, outline: style.outlineStyle !== 'none' && style.outlineWidth !== '0px', left: el.getBoundingClientRect().left };
        });
        if (!focused) continue;
        reached.add(focused.kb);
        expect(focused.outline, `${path}: focus visible on control ${focused.kb}`).toBe(true);
        expect(focused.left, `${path}: focused control ${focused.kb} on screen`).toBeGreaterThanOrEqual(0);
      }
      expect(reached.size, `${path}: controls reached by Tab`).toBe(controls);
    }

    // The skip link is the first stop and takes focus to the content.
    await page.goto(console_('/api-tokens'));
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');

    // A token, by keyboard: Tab to the label field, type, Enter.
    for (let i = 0; i < 40 && (await page.evaluate(() => document.activeElement?.id)) !== 'label'; i++) await page.keyboard.press('Tab');
    await page.keyboard.type('keyboard only');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(await text(page, '#created-heading')).toBe('API token “keyboard only” created');
    // The secret's field and the copy button are the next stops after the content starts.
    await page.locator('#main').focus();
    const stops: string[] = [];
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press('Tab');
      stops.push(await page.evaluate(() => document.activeElement?.id ?? ''));
    }
    expect(stops).toEqual(['secret', 'copy', 'done']);
    expect((await tokenLabels()).map((k) => k.label)).toContain('keyboard only');
  }, SLOW);

  it('works without JavaScript: a token is made and shown in a field to select, with no copy button', async () => {
    const plain = await browser.newContext({ ...DESKTOP, javaScriptEnabled: false, storageState: await admin.storageState() });
    try {
      const noScript = await watched(plain);
      await noScript.goto(console_('/api-tokens'));
      await noScript.locator('#label').fill('no script');
      expect(await submit(noScript, '#create-token')).toBe(200);
      expect(await noScript.locator('#copy').isVisible()).toBe(false);
      const token = await noScript.locator('#secret').inputValue();
      expect((await withToken(token, '/-/api/ssotoken/create', { username: 'chandra' })).status).toBe(200);
      // Selectable by hand: the read-only field takes a selection.
      await noScript.locator('#secret').selectText();
      const selected = await noScript.locator('#secret').evaluate((el: HTMLInputElement) => el.value.slice(el.selectionStart ?? 0, el.selectionEnd ?? 0));
      expect(selected).toBe(token);
    } finally {
      await plain.close();
    }
  }, SLOW);

  it('connects an identity provider: a token made on Provisioning works over SCIM; its groups show; one becomes the admins', async () => {
    await page.goto(console_('/provisioning'));
    expect(await text(page, '#scim-base-url')).toBe(`${server.origin}/scim/v2`);
    expect(await text(page, '#no-directory-groups')).toBeTruthy();
    expect(await submit(page, '#create-provisioning-token')).toBe(200);
    const token = await page.locator('#secret').inputValue();
    await screenshot(page, 'console-provisioning-token');

    // The identity provider, from outside: two people, a group of them, one of them leaving.
    const scim = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${server.origin}/scim/v2${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    };
    const people: string[] = [];
    for (const [userName, givenName] of [['dana@demo.example', 'Dana'], ['eli@demo.example', 'Eli']] as const) {
      const created = await scim('POST', '/Users', { userName, name: { givenName }, emails: [{ value: userName, primary: true }] });
      expect(created.status).toBe(201);
      people.push(created.body.id as string);
    }
    const alice = (await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "alice"')}`)).body.Resources[0].id;
    const group = await scim('POST', '/Groups', { displayName: 'Team API admins', externalId: 'okta-00g1', members: [{ value: alice }, { value: people[0] }] });
    expect(group.status).toBe(201);
    expect((await scim('PATCH', `/Users/${people[1]}`, { Operations: [{ op: 'replace', value: { active: false } }] })).body.active).toBe(false);

    await page.goto(console_('/provisioning'));
    expect(await page.locator('#directory-groups tbody tr').count()).toBe(1);
    await page.locator('#adminDirectoryGroup').selectOption(group.body.id);
    expect(await submit(page, '#save-admin-group')).toBe(200);
    expect(await page.locator('#adminDirectoryGroup').inputValue()).toBe(group.body.id);
    await screenshot(page, 'console-provisioning');
    const roles = (await scim('GET', '/Users')).body.Resources.map((r: any) => `${r.userName}:${r.roles[0].value}:${r.active}`);
    expect(roles).toEqual(expect.arrayContaining(['alice:admin:true', 'dana@demo.example:admin:true', 'eli@demo.example:member:false', 'chandra:member:true']));

    await page.goto(console_('/members'));
    expect(await page.locator('#members tbody tr:has-text("eli@demo.example") .badge.bad').textContent()).toBe('suspended');
    await screenshot(page, 'console-members-suspended');
  }, SLOW);

  it('blocked nothing under its Content-Security-Policy', () => {
    expect(blocked).toEqual([]);
  });
});
