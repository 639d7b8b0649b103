import { beforeEach, describe, expect, it } from 'vitest';
import { type CliIo, runAdmin } from '../../src/cli/admin.ts';
import { adminEntry, run, tempDatabaseUrl } from '../support/processes.ts';

let databaseUrl: string;
beforeEach(() => {
  databaseUrl = tempDatabaseUrl();
});

async function admin(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { env: { DATABASE_URL: databaseUrl }, stdout: (t) => void (stdout += t), stderr: (t) => (stderr += t) };
  const code = await runAdmin(argv, io);
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}

describe('admin CLI', () => {
  it('group create / update / delete', async () => {
    const created = await admin('group', 'create', 'acme', '--title', 'Acme', '--allowed-domain', 'acme.com', '--allowed-domain', 'ACME.org', '--json');
    expect(created.code).toBe(0);
    expect(created.json()).toEqual({
      group: {
        slug: 'acme',
        title: 'Acme',
        isApiEnabled: true,
        allowedDomains: ['acme.com', 'acme.org'],
        requireSignInConfirmation: false,
        adminSignInWithApiToken: true,
        createdAt: expect.any(String),
      },
    });
    expect((await admin('group', 'create', 'off', '--api-disabled', '--json')).json().group.isApiEnabled).toBe(false);

    const disabled = await admin('group', 'update', 'acme', '--api-disabled', '--clear-allowed-domains', '--json');
    expect(disabled.json().group).toMatchObject({ isApiEnabled: false, allowedDomains: [] });
    const enabled = await admin('group', 'update', 'acme', '--api-enabled', '--allowed-domain', 'x.io', '--json');
    expect(enabled.json().group).toMatchObject({ isApiEnabled: true, allowedDomains: ['x.io'] });

    const confirming = await admin('group', 'update', 'acme', '--require-sign-in-confirmation', '--json');
    expect(confirming.json().group).toMatchObject({ requireSignInConfirmation: true, isApiEnabled: true, allowedDomains: ['x.io'] });
    // Other flags leave it as it is.
    expect((await admin('group', 'update', 'acme', '--title', 'Acme', '--json')).json().group.requireSignInConfirmation).toBe(true);
    const direct = await admin('group', 'update', 'acme', '--no-require-sign-in-confirmation', '--json');
    expect(direct.json().group.requireSignInConfirmation).toBe(false);

    // API.md §17: whether API tokens may mint admins' sign-in links; other flags leave it as it is.
    const noAdminLinks = await admin('group', 'update', 'acme', '--no-admin-sign-in-with-api-token', '--json');
    expect(noAdminLinks.json().group).toMatchObject({ adminSignInWithApiToken: false, requireSignInConfirmation: false });
    expect((await admin('group', 'update', 'acme', '--title', 'Acme', '--json')).json().group.adminSignInWithApiToken).toBe(false);
    expect((await admin('group', 'update', 'acme', '--admin-sign-in-with-api-token', '--json')).json().group.adminSignInWithApiToken).toBe(true);

    expect((await admin('group', 'delete', 'acme', '--json')).json()).toEqual({ deleted: 'acme' });
    const gone = await admin('group', 'delete', 'acme');
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/GroupNotFound/);
  });

  it('refuses bad slugs, duplicate groups and bad domains on stderr with a non-zero exit', async () => {
    for (const argv of [
      ['group', 'create', '-bad-'],
      ['group', 'create', 'a'],
      ['group', 'create', 'UPPER_case'],
      ['group', 'create', 'ok', '--allowed-domain', 'not a domain'],
    ]) {
      const result = await admin(...argv);
      expect(result.code, argv.join(' ')).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^error: /);
    }
    await admin('group', 'create', 'acme');
    const duplicate = await admin('group', 'create', 'acme');
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/already exists/);
  });

  it('token create / list / revoke, never listing the token itself', async () => {
    await admin('group', 'create', 'acme');
    const created = (await admin('token', 'create', 'acme', '--json')).json();
    expect(created).toEqual({ id: expect.any(String), token: expect.stringMatching(/^tapi_/) });
    const listed = await admin('token', 'list', 'acme', '--json');
    expect(listed.json()).toEqual({
      tokens: [{ id: created.id, label: null, createdAt: expect.any(String), lastUsedAt: null, revokedAt: null }],
    });
    expect(listed.stdout).not.toContain(created.token);
    expect((await admin('token', 'revoke', created.id, '--json')).json()).toEqual({ revoked: created.id });
    expect((await admin('token', 'list', 'acme', '--json')).json().tokens[0].revokedAt).toEqual(expect.any(String));
    const unknown = await admin('token', 'revoke', 'no-such-id');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no API token/);
  });

  it('member add / remove', async () => {
    await admin('group', 'create', 'acme');
    await admin('group', 'create', 'beta');
    // A user exists once provisioned into some group.
    const { openSqliteStore } = await import('../../src/db/sqlite/store.ts');
    const store = openSqliteStore(databaseUrl);
    const beta = (await store.findGroupBySlug('beta'))!;
    const alice = { id: 'u1', username: 'alice', email: 'alice@example.com', firstName: null, lastName: null, createdAt: Date.now() };
    await store.insertUsers(beta.id, 'member', { usernames: [], emails: [], inputs: 1, decide: () => [{ user: alice, events: [] }] });
    await store.close();

    const added = await admin('member', 'add', 'acme', 'ALICE', '--role', 'admin', '--json');
    expect(added.json()).toEqual({ membership: { group: 'acme', username: 'alice', role: 'admin', joinedAt: expect.any(String) } });
    expect((await admin('member', 'remove', 'acme', 'alice', '--json')).json()).toEqual({ removed: true });
    const again = await admin('member', 'remove', 'acme', 'alice');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/NotGroupMember/);
    const nobody = await admin('member', 'add', 'acme', 'nobody');
    expect(nobody.code).toBe(1);
    const badRole = await admin('member', 'add', 'acme', 'alice', '--role', 'owner');
    expect(badRole.code).not.toBe(0);
  });

  it('runs as `npm run -s admin` with DATABASE_URL from the environment', async () => {
    const result = await run('npm', ['run', '-s', 'admin', '--', 'group', 'create', 'acme', '--json'], { DATABASE_URL: databaseUrl });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).group.slug).toBe('acme');
    const failed = await run(process.execPath, [...adminEntry, 'group', 'create', 'acme'], { DATABASE_URL: databaseUrl });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/already exists/);
  });
});
