/**
 * The browser sign-in flow against the real server in headless Chromium: a login
 * URL signs the user in on the group's domain, the session survives a reload,
 * sign-out ends it, and the used link then shows the documented error page.
 */
import { describe, expect, it } from 'vitest';
import { envelopeOf } from '../../src/errors/catalog.ts';
import { SLOW, screenshot, useServerAndBrowser } from '../support/chromium.ts';

const live = useServerAndBrowser();

async function api(path: string, body: unknown): Promise<any> {
  const response = await fetch(`http://127.0.0.1:${live.server.port}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${live.server.demoToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  expect(response.status, JSON.stringify(json)).toBe(200);
  return json.data;
}

describe('signing in with a login URL in a browser', () => {
  it('lands signed in, stays signed in, signs out, and refuses the used link', async () => {
    const { username } = await api('/-/api/user/create', { email: 'grace@example.com', username: 'grace-h' });
    const { loginUrl } = await api('/-/api/ssotoken/create', { username, redirectTo: '/' });
    const home = `${live.server.groupOrigin('demo')}/`;
    expect(loginUrl.startsWith(`${live.server.groupOrigin('demo')}/-/api/ssotoken/login?token=`)).toBe(true);

    const context = await live.browser.newContext();
    const page = await context.newPage();
    // The pages' CSP must not block anything they use (their stylesheet is allowed by hash).
    const blocked: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) blocked.push(m.text());
    });
    try {
      const landed = await page.goto(loginUrl);
      expect(page.url()).toBe(home);
      expect(landed?.status()).toBe(200);
      expect(await page.locator('#username').textContent()).toBe('grace-h');
      expect(await page.locator('#group').textContent()).toBe('demo');
      const [session] = (await context.cookies()).filter((c) => c.name === 'session');
      expect(session).toMatchObject({ domain: 'demo.localhost', httpOnly: true, sameSite: 'Lax', path: '/' });
      await screenshot(page, 'sign-in-1-signed-in');

      await page.reload();
      expect(await page.locator('#username').textContent()).toBe('grace-h');

      await Promise.all([page.waitForURL(home, { waitUntil: 'load' }), page.locator('#sign-out').click()]);
      await page.locator('#not-signed-in').waitFor();
      expect(await page.locator('#username').count()).toBe(0);
      expect((await context.cookies()).filter((c) => c.name === 'session')).toEqual([]);
      await screenshot(page, 'sign-in-2-signed-out');

      const reused = await page.goto(loginUrl);
      const { status, message } = envelopeOf('InvalidSSOTokenPayload');
      expect(reused?.status()).toBe(status);
      expect(await page.locator('#error-code').textContent()).toBe('InvalidSSOTokenPayload');
      // Said in words first, then the catalog's code, status and message.
      expect(await page.locator('h1').textContent()).toBe('This sign-in link has already been used');
      expect(await page.locator('main').textContent()).toContain(message);
      expect(await page.locator('#username').count()).toBe(0);
      await screenshot(page, 'sign-in-3-used-link');
      expect(blocked).toEqual([]);
    } finally {
      await context.close();
    }
  }, SLOW);
});
