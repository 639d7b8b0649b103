/**
 * `npm run bench` still runs end to end (docs/performance.md): a build, the server and
 * its baselines, every operation loaded side by side, and a report written. Rounds this
 * short measure nothing; the test asserts that each operation was answered without an
 * error and that its CPU time per request was counted, never a speed.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createTestDatabase, testDialect } from '../support/databases.ts';
import { run, tempDatabaseUrl } from '../support/processes.ts';

interface Operation {
  name: string;
  requests: number;
  errors: number;
  non2xx: number;
  cpuUsPerRequest: number;
}

const reportFile = () => join(mkdtempSync(join(tmpdir(), 'team-api-bench-')), 'report.json');

/** Runs a bench script of package.json with these arguments; the test fails unless it exits 0. */
async function runBench(script: string, args: string[]) {
  const result = await run('npm', ['run', '-s', script, '--', ...args]);
  expect(result.code, result.stderr + result.stdout).toBe(0);
  return result;
}

/** What was loaded was answered, without an error, and its CPU time counted. */
function expectAnswered(operation: Omit<Operation, 'name'>, name: string): void {
  expect(operation.requests, name).toBeGreaterThan(0);
  expect(operation.errors + operation.non2xx, name).toBe(0);
  expect(operation.cpuUsPerRequest, name).toBeGreaterThan(0);
}

it.runIf(testDialect === 'sqlite')('npm run bench loads every operation and writes its report', async () => {
  const out = reportFile();
  const args = ['--duration', '0.5', '--rounds', '1', '--warmup', '0', '--users', '50', '--no-scale', '--no-workers', '--out', out];
  const result = await runBench('bench', args);
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
  for (const operation of report.operations) expectAnswered(operation, operation.name);
  // What a person reads: the table, with the baselines beside the operations.
  expect(result.stdout).toContain('baseline: graphql-yoga hello');
}, 300_000);

// After the test above (tests of a file run in turn), on the build it made.
it.runIf(testDialect === 'sqlite')('npm run bench:scim loads the SCIM operations and times a 1,000-member PATCH', async () => {
  const args = ['--no-build', '--duration', '0.5', '--rounds', '1', '--warmup', '0', '--scale-users', '5000'];
  const result = await runBench('bench:scim', args);
  for (const line of ['GraphQL createUser', 'GET /Users?filter=userName eq', 'PATCH /Users/{id} active', 'userName eq, 5,000 members']) {
    expect(result.stdout).toContain(line);
  }
  expect(result.stdout).toMatch(/median lookup at 5,000 ÷ at 1,000: \d+\.\d\d ×/);
  expect(result.stdout).toMatch(/median \d+ ms: (under|OVER) one second/);
}, 300_000);

// These use the build the first test made (tests of a file run in turn): each bench
// saturates both cores while it runs, and the rest of the suite runs beside it.
it.runIf(testDialect === 'sqlite')('npm run bench -- --idempotency loads createUser with and without a key, on the server and its floor', async () => {
  const out = reportFile();
  const args = ['--idempotency', '--no-build', '--duration', '0.5', '--rounds', '1', '--warmup', '0', '--users', '50', '--out', out];
  const result = await runBench('bench', args);
  const report = JSON.parse(readFileSync(out, 'utf8')) as Record<'withKey' | 'without' | 'floorWithKey' | 'floorWithout', Operation>;
  for (const side of ['withKey', 'without', 'floorWithKey', 'floorWithout'] as const) expectAnswered(report[side], side);
  expect(result.stdout).toMatch(/its floor's, the same: \d+\.\d\d/);
}, 300_000);

it.runIf(testDialect === 'sqlite')('npm run bench -- --bulk loads createUsers beside createUser and times the import', async () => {
  const out = reportFile();
  const args = ['--bulk', '--no-build', '--duration', '0.5', '--rounds', '1', '--warmup', '0', '--users', '50', '--import-rows', '2000', '--out', out];
  const result = await runBench('bench', args);
  const report = JSON.parse(readFileSync(out, 'utf8')) as { import: { created: number } };
  expect(report.import.created).toBe(2000);
  expect(result.stdout).toContain('createUsers, 1000 users a call');
}, 300_000);

// The build's CLI is joined by esbuild (scripts/bundle-cli.ts): it must find its migrations and
// each database's driver as the compiler's output did.
it.runIf(testDialect === 'sqlite')('the production build of the admin CLI imports a file on SQLite and on PostgreSQL', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'team-api-cli-build-'));
  const csv = join(dir, 'people.csv');
  writeFileSync(csv, 'email,username\nada@example.com,ada-l\ngrace@example.com,grace-h\n');
  const postgres = await createTestDatabase({ dialect: 'postgres' });
  try {
    for (const url of [tempDatabaseUrl(), postgres.url]) {
      const cli = (...args: string[]) => run(process.execPath, ['dist/src/cli/admin.js', ...args, '--json'], { DATABASE_URL: url, NODE_ENV: 'production' });
      const group = await cli('group', 'create', 'acme', '--title', 'Acme');
      expect(group.code, group.stderr).toBe(0);
      const imported = await cli('user', 'import', 'acme', csv);
      expect(imported.code, imported.stderr).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({ created: 2, failed: 0 });
      const events = await cli('events', 'acme');
      expect(events.stdout, events.stderr).toContain('"grace-h"');
    }
  } finally {
    await postgres.close();
  }
}, 120_000);

it.runIf(testDialect === 'sqlite')('npm run bench:webhooks delivers every event and measures a delivery against its floor', async () => {
  const args = ['--no-build', '--duration', '0.5', '--rounds', '1', '--connections', '2', '--alone-events', '500'];
  const result = await runBench('bench:webhooks', args);
  const report = JSON.parse(result.stdout) as {
    deliveries: { due: number; arrived: number; duplicates: number };
    deliveryFloorCpuUs: { sender: number; receiver: number };
    deliveryAloneCpuUs: number;
    results: Array<{ serverCpuUsPerCreateUser: { withoutEndpoint: number; withEndpoint: number } }>;
  };
  expect(report.deliveries.arrived).toBeGreaterThanOrEqual(report.deliveries.due);
  expect(report.deliveries.duplicates).toBe(0);
  expect(report.deliveryFloorCpuUs.sender).toBeGreaterThan(0);
  expect(report.results[0]!.serverCpuUsPerCreateUser.withEndpoint).toBeGreaterThan(0);
  expect(Number.isFinite(report.deliveryAloneCpuUs)).toBe(true);
}, 300_000);
