/**
 * Sign-in links that survive link scanners (API.md §10), against the real server in
 * headless Chromium: a scanner that GETs, HEADs and renders the confirmation page
 * leaves the token usable; the person's click on Continue signs in; a second click
 * finds the link used; a form on another origin is refused and uses nothing up; and
 * the page cannot be framed.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { envelopeOf } from '../../src/errors/catalog.ts';
import { SLOW, screenshot, useServerAndBrowser } from '../support/chromium.ts';

const live = useServerAndBrowser();

/** A phone: the page must be readable and its button easy to press there. */
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

async function api(path: string, body: unknown): Promise<any> {
  const response = await fetch(`${live.server.origin}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${live.server.demoToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  expect(response.status, JSON.stringify(json)).toBe(200);
  return json.data;
}

let users = 0;
/** A new member of demo and a login URL for them that requires confirmation. */
async function confirmationLink(redirectTo = '/'): Promise<{ username: string; loginUrl: string }> {
  const { username } = await api('/-/api/user/create', { email: `reader${++users}@example.com`, username: `reader-${users}` });
  const minted = await api('/-/api/ssotoken/create', { username, redirectTo, requireConfirmation: true });
  expect(minted.requireConfirmation).toBe(true);
  return { username, loginUrl: minted.loginUrl };
}

/** What a link scanner does without a browser: a plain GET or HEAD over HTTP, no cookies kept. */
function scan(method: 'GET' | 'HEAD', url: string): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: live.server.port, path: target.pathname + target.search, method, headers: { host: target.host } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Collects the Content-Security-Policy complaints of a page: the server's own pages must cause none. */
function cspViolations(page: Page): string[] {
  const blocked: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) blocked.push(m.text());
  });
  return blocked;
}

const sessionCookies = async (context: BrowserContext) => (await context.cookies()).filter((c) => c.name === 'session');

/** Presses Continue and waits for where the browser lands (a redirect followed, or an error page). */
async function pressContinue(page: Page): Promise<number | undefined> {
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('#continue').click()]);
  return response?.status();
}

async function expectAlreadyUsed(page: Page, status: number | undefined) {
  expect(status).toBe(envelopeOf('InvalidSSOTokenPayload').status);
  expect(await page.locator('h1').textContent()).toBe('This sign-in link has already been used');
  expect(await page.locator('#error-code').textContent()).toBe('InvalidSSOTokenPayload');
  expect(await page.locator('#continue').count()).toBe(0);
}

describe('a sign-in link that requires confirmation, in a browser', () => {
  it('survives a scanner; one click signs in; a second click and going back find it used', async () => {
    const { username, loginUrl } = await confirmationLink('/?from=email');
    const home = `${live.server.groupOrigin('demo')}/?from=email`;

    // The scanners: plain GET and HEAD, then a headless browser that renders the page with JavaScript on and does not click.
    const got = await scan('GET', loginUrl);
    expect(got.status).toBe(200);
    expect(got.body).toContain('id="continue"');
    expect((await scan('HEAD', loginUrl)).status).toBe(200);
    const scanner = await live.browser.newContext({ javaScriptEnabled: true });
    try {
      const scanned = await scanner.newPage();
      expect((await scanned.goto(loginUrl, { waitUntil: 'networkidle' }))?.status()).toBe(200);
      expect(await scanned.locator('#continue').isVisible()).toBe(true);
      expect(await sessionCookies(scanner)).toEqual([]);
    } finally {
      await scanner.close();
    }

    // The person, on a phone, opens the link twice (say, from two tabs) before pressing Continue in one of them.
    const context = await live.browser.newContext(PHONE);
    try {
      const [first, second] = [await context.newPage(), await context.newPage()];
      const blocked = cspViolations(first);
      for (const page of [first, second]) expect((await page.goto(loginUrl))?.status()).toBe(200);
      expect(await first.locator('#sign-in-user').textContent()).toBe(username);
      expect(await first.locator('#sign-in-group').textContent()).toBe('Demo group');
      expect(await first.locator('button').count()).toBe(1);
      expect(await first.locator('#continue').textContent()).toBe('Continue');
      // Readable on a phone: nothing wider than the screen, a button a thumb can press.
      expect(await first.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      const button = (await first.locator('#continue').boundingBox())!;
      expect(button.height).toBeGreaterThanOrEqual(44);
      expect(button.width).toBeGreaterThan(390 / 2);
      await screenshot(first, 'sign-in-confirm');

      expect(await pressContinue(first)).toBe(200);
      expect(first.url()).toBe(home);
      expect(await first.locator('#username').textContent()).toBe(username);
      const [session] = await sessionCookies(context);
      expect(session).toMatchObject({ domain: 'demo.localhost', httpOnly: true, sameSite: 'Lax', path: '/' });
      expect(blocked).toEqual([]);

      // The second tab's Continue: the link is used now.
      await expectAlreadyUsed(second, await pressContinue(second));
      await screenshot(second, 'sign-in-already-used');

      // Back to the confirmation page: it is never cached, so the browser asks again and hears the same.
      const back = await first.goBack();
      await expectAlreadyUsed(first, back?.status());
      // Still signed in with the session of the first click.
      expect((await sessionCookies(context))[0]?.value).toBe(session!.value);
    } finally {
      await context.close();
    }
  }, SLOW);

  it('refuses a form on another origin that posts the token, and the token still works afterwards', async () => {
    const { username, loginUrl } = await confirmationLink();
    const token = new URL(loginUrl).searchParams.get('token')!;
    const action = `${live.server.groupOrigin('demo')}/-/api/ssotoken/login`;
    const attack = (referrer: string) => `<!doctype html><html><head>${referrer}</head><body>
<form method="post" action="${action}"><input type="hidden" name="token" value="${token}"><button id="go">Win a prize</button></form>
</body></html>`;
    // A sibling group's domain is the same *site* (SameSite=Lax would let its post carry cookies), another site is not;
    // with no-referrer the attacker's browser sends Origin: null, and then Sec-Fetch-Site gives it away.
    const attackers = [
      { origin: `http://evil.localhost:${live.server.port}`, head: '' },
      { origin: 'http://attacker.test', head: '' },
      { origin: 'http://attacker.test', head: '<meta name="referrer" content="no-referrer">' },
    ];
    for (const attacker of attackers) {
      const victim = await live.browser.newContext();
      try {
        await victim.route(`${attacker.origin}/**`, (route) =>
          route.fulfill({ status: 200, contentType: 'text/html', body: attack(attacker.head) }),
        );
        const page = await victim.newPage();
        await page.goto(`${attacker.origin}/prize`);
        const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('#go').click()]);
        expect(response?.status(), attacker.origin).toBe(envelopeOf('InvalidRequestDomain').status);
        expect(await page.locator('#error-code').textContent()).toBe('InvalidRequestDomain');
        expect(await page.locator('h1').textContent()).toBe('This sign-in did not come from the group’s own page');
        expect(await sessionCookies(victim)).toEqual([]);
      } finally {
        await victim.close();
      }
    }

    // The token's owner can still use it.
    const context = await live.browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(loginUrl);
      expect(await pressContinue(page)).toBe(200);
      expect(await page.locator('#username').textContent()).toBe(username);
    } finally {
      await context.close();
    }
  }, SLOW);

  it('cannot be framed: a page that frames it shows nothing of it', async () => {
    const { loginUrl } = await confirmationLink();
    // The framing page, served from another origin on this machine.
    const framer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><html><body><h1>Framing</h1><iframe src="${loginUrl}" width="600" height="400"></iframe></body></html>`);
    });
    await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve));
    const context = await live.browser.newContext();
    try {
      const page = await context.newPage();
      const refused: string[] = [];
      page.on('console', (m) => {
        if (/frame-ancestors/i.test(m.text())) refused.push(m.text());
      });
      const loginResponse = page.waitForResponse((r) => r.url() === loginUrl);
      await page.goto(`http://127.0.0.1:${(framer.address() as AddressInfo).port}/`, { waitUntil: 'load' });
      // The server did answer the frame with the page, so it is the browser that refuses to show it …
      expect((await loginResponse).status()).toBe(200);
      // … and the frame shows none of it.
      const frame = page.frames().find((f) => f !== page.mainFrame());
      expect(frame).toBeDefined();
      expect(await frame!.locator('#continue').count()).toBe(0);
      expect(await frame!.evaluate(() => document.body?.innerText ?? '').catch(() => '')).not.toContain('Continue');
      expect(refused.length).toBeGreaterThan(0);
      await screenshot(page, 'sign-in-confirm-framed');
    } finally {
      await context.close();
      await new Promise((resolve) => framer.close(resolve));
    }

    // Nothing was used up by the framing: the link still opens its page.
    expect((await scan('GET', loginUrl)).status).toBe(200);
  }, SLOW);
});
