/**
 * GraphiQL against the real server in headless Chromium: the page loads with the
 * demo group's token in its headers, runs its default createUser document, and
 * shows a member of CreateUserResult. Proves the CSRF rules leave it working.
 */
import { describe, expect, it } from 'vitest';
import { SLOW, screenshot, useServerAndBrowser } from '../support/chromium.ts';
import { RESULT_UNION_MEMBERS } from '../support/documents.ts';

const CREATE_USER_RESULT_MEMBERS: readonly string[] = RESULT_UNION_MEMBERS.CreateUserResult;

const live = useServerAndBrowser();

describe('GraphiQL in a browser', () => {
  it('runs the default document with the prefilled demo token and shows a union member', async () => {
    const context = await live.browser.newContext();
    const page = await context.newPage();
    // The page's CSP must leave the editor whole: no script, style or worker refused.
    const refused: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) refused.push(message.text());
    });
    try {
      const response = await page.goto(`${live.server.origin}/graphql`);
      expect(response?.status()).toBe(200);
      const run = page.locator('.graphiql-execute-button');
      await run.waitFor();
      await page.getByText('mutation CreateUser').first().waitFor();

      const graphqlPost = page.waitForResponse((r) => r.url().endsWith('/graphql') && r.request().method() === 'POST');
      await run.click();
      const posted = await graphqlPost;
      expect(posted.status()).toBe(200);

      const result = page.locator('.result-window');
      await result.getByText('__typename').first().waitFor();
      const text = (await result.textContent()) ?? '';
      const typename = /"__typename":\s*"(\w+)"/.exec(text)?.[1];
      expect(CREATE_USER_RESULT_MEMBERS).toContain(typename);
      // A fresh database: the demo user does not exist yet.
      expect(typename).toBe('CreateUserSuccess');
      await screenshot(page, 'graphiql-create-user');
      expect(refused).toEqual([]);
    } finally {
      await context.close();
    }
  }, SLOW);
});
