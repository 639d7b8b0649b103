/**
 * The client as client/README.md says to install it: `npm pack` of the workspace,
 * installed into a project of its own, imported by its package name from plain
 * JavaScript (nothing of this repository on its path), and used against a real server.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { testDialect } from '../support/databases.ts';
import { type RunningServer, run, startServer } from '../support/processes.ts';

let server: RunningServer | undefined;
afterAll(async () => {
  await server?.stop();
});

it.runIf(testDialect === 'sqlite')('the packed client installs into another project and works from there', async () => {
  const packs = mkdtempSync(join(tmpdir(), 'team-api-client-pack-'));
  const packed = await run('npm', ['pack', '--workspace', 'client', '--pack-destination', packs, '--silent']);
  expect(packed.code, packed.stderr).toBe(0);
  const tarball = readdirSync(packs).find((f) => f.endsWith('.tgz'));
  expect(tarball).toBeDefined();

  const project = mkdtempSync(join(tmpdir(), 'team-api-client-user-'));
  writeFileSync(join(project, 'package.json'), '{ "name": "a-backend", "private": true, "type": "module" }\n');
  const installed = await run('npm', ['install', '--prefix', project, '--no-audit', '--no-fund', '--prefer-offline', join(packs, tarball!)]);
  expect(installed.code, installed.stderr).toBe(0);

  server = await startServer();
  writeFileSync(
    join(project, 'main.js'),
    `import { TeamApiClient } from '@team-api/client';
const client = new TeamApiClient({ url: process.env.URL, apiToken: process.env.TOKEN });
const created = await client.createUser({ email: 'packed@example.com', username: 'packed' });
const again = await client.createUser({ email: 'packed@example.com', username: 'packed' });
console.log(JSON.stringify([created.__typename, again.__typename]));
`,
  );
  const used = await run(process.execPath, [join(project, 'main.js')], { URL: `${server.origin}/graphql`, TOKEN: server.demoToken! });
  expect(used.stderr).toBe('');
  expect(JSON.parse(used.stdout)).toEqual(['CreateUserSuccess', 'UsernameAlreadyExists']);
}, 180_000);
