/**
 * `npm run bench` still runs end to end (docs/performance.md): a build, the server and
 * its baselines, every operation loaded side by side, and a report written. Rounds this
 * short measure nothing; the test asserts that each operation was answered without an
 * error and that its CPU time per request was counted, never a speed.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { testDialect } from '../support/databases.ts';
import { run } from '../support/processes.ts';

interface Operation {
  name: string;
  requests: number;
  errors: number;
  non2xx: number;
  cpuUsPerRequest: number;
}

it.runIf(testDialect === 'sqlite')('npm run bench loads every operation and writes its report', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'team-api-bench-')), 'report.json');
  const args = ['--duration', '0.5', '--rounds', '1', '--warmup', '0', '--users', '50', '--no-scale', '--no-workers', '--out', out];
  const result = await run('npm', ['run', '-s', 'bench', '--', ...args]);
  expect(result.code, result.stderr + result.stdout).toBe(0);
  const report = JSON.parse(readFileSync(out, 'utf8')) as { operations: Operation[] };
  expect(report.operations.map((o) => o.name)).toEqual(
    expect.arrayContaining([
      'createSSOToken',
      'loginWithSSO',
      'createUser',
      'REST POST /-/api/ssotoken/create',
      'scimFilterUserName',
      'scimDeactivate',
    ]),
  );
  for (const operation of report.operations) {
    expect(operation.requests, operation.name).toBeGreaterThan(0);
    expect(operation.errors + operation.non2xx, operation.name).toBe(0);
    expect(operation.cpuUsPerRequest, operation.name).toBeGreaterThan(0);
  }
  // What a person reads: the table, with the baselines beside the operations.
  expect(result.stdout).toContain('baseline: graphql-yoga hello');
}, 300_000);

// After the test above (tests of a file run in turn): both build dist/.
it.runIf(testDialect === 'sqlite')('npm run bench:scim loads the SCIM operations and times a 1,000-member PATCH', async () => {
  const args = ['--duration', '0.5', '--rounds', '1', '--warmup', '0', '--scale-users', '5000'];
  const result = await run('npm', ['run', '-s', 'bench:scim', '--', ...args]);
  expect(result.code, result.stderr + result.stdout).toBe(0);
  for (const line of ['GraphQL createUser', 'GET /Users?filter=userName eq', 'PATCH /Users/{id} active', 'userName eq, 5,000 members']) {
    expect(result.stdout).toContain(line);
  }
  expect(result.stdout).toMatch(/median lookup at 5,000 ÷ at 1,000: \d+\.\d\d ×/);
  expect(result.stdout).toMatch(/median \d+ ms: (under|OVER) one second/);
}, 300_000);
