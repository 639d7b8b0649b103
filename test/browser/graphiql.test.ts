/**
 * GraphiQL against the real server in headless Chromium: the page loads with the
 * demo group's token in its headers, runs its default createUser document, and
 * shows a member of CreateUserResult. Proves the CSRF rules leave it working.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from '../support/chromium.ts';
import { type RunningServer, startServer } from '../support/processes.ts';

const CREATE_USER_RESULT_MEMBERS = [
  'CreateUserSuccess',
  'InvalidInput',
  'InvalidEmailDomain',
  'InvalidUsername',
  'OutOfRangeUsername',
  'OutOfRangeSuggestedUsername',
  'UsernameAlreadyExists',
  'EmailAlreadyExists',
  'FailedToCreateUser',
];

let server: RunningServer;
let browser: Browser;

// A real server and a real browser on a shared machine: generous limits, no timing assertions.
const SLOW = 90_000;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchChromium()]);
}, SLOW);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('GraphiQL in a browser', () => {
  it('runs the default document with the prefilled demo token and shows a union member', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      const response = await page.goto(`${server.origin}/graphql`);
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
    } finally {
      await context.close();
    }
  }, SLOW);
});
