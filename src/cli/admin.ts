/**
 * The admin CLI (API.md §7): groups, API tokens and memberships, on the database
 * named by DATABASE_URL, and backups of it. `--json` prints one JSON object; errors
 * go to stderr.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { type Config, ConfigError, loadConfig } from '../config/config.ts';
import { isPostgresUrl } from '../db/database-url.ts';
import { BackupError, backupSqlite } from '../db/sqlite/backup.ts';
import type { ApiTokenRecord, EventRecord, GroupRecord, MemberRecord } from '../db/store.ts';
import type { Services } from '../domain/services.ts';
import { CLI_CALLER } from '../domain/events.ts';
import { ImportFileError, importFormat, importUsers } from './import-users.ts';
import { DomainError } from '../errors/domain-error.ts';
import { openRuntime, type Runtime } from '../runtime.ts';
import { iso, isoOrNull } from '../time.ts';

export interface CliIo {
  env: Record<string, string | undefined>;
  /** Writes to standard output; false when the caller should wait for `drained` before writing more. */
  stdout: (text: string) => boolean | void;
  stderr: (text: string) => void;
  /** Resolves when standard output can take more (after stdout returned false). */
  drained?: () => Promise<void>;
  /** A terminal for progress bars (standard error, when it is one). */
  progress?: NodeJS.WriteStream | null;
}

const present = {
  group: (g: GroupRecord) => ({
    slug: g.slug,
    title: g.title,
    isApiEnabled: g.isApiEnabled,
    allowedDomains: g.allowedDomains,
    requireSignInConfirmation: g.requireSignInConfirmation,
    adminSignInWithApiToken: g.adminSignInWithApiToken,
    createdAt: iso(g.createdAt),
  }),
  token: (t: ApiTokenRecord) => ({
    id: t.id,
    label: t.label,
    createdAt: iso(t.createdAt),
    lastUsedAt: isoOrNull(t.lastUsedAt),
    revokedAt: isoOrNull(t.revokedAt),
  }),
  membership: (slug: string, m: MemberRecord) => ({
    group: slug,
    username: m.user.username,
    role: m.role,
    joinedAt: iso(m.joinedAt),
  }),
};

/** What a command returns: the `--json` object and the line a person reads (null: it printed its own). */
interface Outcome {
  json: Record<string, unknown>;
  text: string;
  /** The exit status, when the command ran but did not do all it was asked (0 otherwise). */
  exitCode?: number;
}

/** `user import`'s exit status when it ran to the end but some rows were refused (listed in the report). */
export const SOME_ROWS_REFUSED = 3;

type Action = (services: Services, ...args: any[]) => Promise<Outcome | null>;
/** A command that works on the database file itself, not through the services (it opens no store). */
type FileAction = (config: Config, ...args: any[]) => Promise<Outcome>;

const collect = (value: string, previous: string[] = []) => [...previous, value];

function buildProgram(
  io: CliIo,
  run: (action: Action, args: unknown[]) => Promise<void>,
  runOnFile: (action: FileAction, args: unknown[]) => Promise<void>,
): Command {
  const program = new Command('admin')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .description('Team API administration')
    .option('--json', 'print one JSON object on stdout')
    .exitOverride()
    .showHelpAfterError();
  const on = (action: Action) => (...args: unknown[]) => run(action, args.slice(0, -1));

  const group = program.command('group').description('create, change and delete groups');
  group
    .command('create <slug>')
    .description('a new group, API enabled unless told')
    .option('--title <title>', 'display title')
    .option('--allowed-domain <domain>', 'email domain allowed for new users (repeatable)', collect)
    .option('--api-disabled', 'create with the API switched off')
    .action(
      on(async (s, slug: string, opts: { title?: string; allowedDomain?: string[]; apiDisabled?: boolean }) => {
        const created = await s.groups.create(
          slug,
          { title: opts.title, allowedDomains: opts.allowedDomain ?? [], isApiEnabled: !opts.apiDisabled },
          CLI_CALLER,
        );
        return { json: { group: present.group(created) }, text: `created group ${created.slug}` };
      }),
    );
  group
    .command('update <slug>')
    .description('change settings')
    .addOption(new Option('--api-enabled', 'switch the API on').conflicts('apiDisabled'))
    .addOption(new Option('--api-disabled', 'switch the API off'))
    .option('--title <title>', 'display title')
    .option('--allowed-domain <domain>', 'replace the allowed email domains (repeatable)', collect)
    .addOption(new Option('--clear-allowed-domains', 'allow every email domain').conflicts('allowedDomain'))
    .option('--require-sign-in-confirmation', 'login URLs show a "Continue" page unless createSSOToken says otherwise')
    .option('--no-require-sign-in-confirmation', 'login URLs sign in on the first GET unless createSSOToken says otherwise')
    .option('--admin-sign-in-with-api-token', 'API tokens may mint sign-in links for admins (the default)')
    .option('--no-admin-sign-in-with-api-token', 'createSSOToken answers SignInNotAllowed for admins; login-link still works')
    .action(
      on(
        async (
          s,
          slug: string,
          opts: {
            apiEnabled?: boolean;
            apiDisabled?: boolean;
            title?: string;
            allowedDomain?: string[];
            clearAllowedDomains?: boolean;
            requireSignInConfirmation?: boolean;
            adminSignInWithApiToken?: boolean;
          },
        ) => {
          const settings = {
            ...(opts.apiEnabled ? { isApiEnabled: true } : {}),
            ...(opts.apiDisabled ? { isApiEnabled: false } : {}),
            ...(opts.title !== undefined ? { title: opts.title } : {}),
            ...(opts.allowedDomain ? { allowedDomains: opts.allowedDomain } : {}),
            ...(opts.clearAllowedDomains ? { allowedDomains: [] } : {}),
            ...(opts.requireSignInConfirmation !== undefined ? { requireSignInConfirmation: opts.requireSignInConfirmation } : {}),
            ...(opts.adminSignInWithApiToken !== undefined ? { adminSignInWithApiToken: opts.adminSignInWithApiToken } : {}),
          };
          const updated = await s.groups.update(await s.groups.get(slug), settings, CLI_CALLER);
          return { json: { group: present.group(updated) }, text: `updated group ${updated.slug}` };
        },
      ),
    );
  group
    .command('delete <slug>')
    .description('mark the group deleted (its tokens then answer GroupNotFound)')
    .action(
      on(async (s, slug: string) => {
        const deleted = await s.groups.delete(slug, CLI_CALLER);
        return { json: { deleted: deleted.slug }, text: `deleted group ${deleted.slug}` };
      }),
    );

  const token = program.command('token').description('API tokens');
  token
    .command('create <slug>')
    .description('a new API token, printed once')
    .option('--label <label>', 'what the token is for')
    .action(
      on(async (s, slug: string, opts: { label?: string }) => {
        const { apiToken, token: secret } = await s.apiTokens.create(await s.groups.get(slug), opts.label, CLI_CALLER);
        return {
          json: { id: apiToken.id, token: secret },
          text: `created token ${apiToken.id} for ${slug}; it is shown only now:\n${secret}`,
        };
      }),
    );
  token
    .command('revoke <id>')
    .description('revoke a token, ending the sessions signed in through its sign-in links')
    .action(
      on(async (s, id: string) => {
        const revoked = await s.apiTokens.revokeById(id, CLI_CALLER);
        if (!revoked) throw new CliFailure(`no API token with id ${id}`);
        return { json: { revoked: revoked.id }, text: `revoked token ${revoked.id}` };
      }),
    );
  token
    .command('list <slug>')
    .description('id, created, last used, revoked; never the token')
    .action(
      on(async (s, slug: string) => {
        const tokens = (await s.apiTokens.list(await s.groups.get(slug))).map(present.token);
        const text = tokens.length
          ? tokens
              .map((t) => `${t.id}  created ${t.createdAt}  last used ${t.lastUsedAt ?? 'never'}${t.revokedAt ? `  revoked ${t.revokedAt}` : ''}${t.label ? `  (${t.label})` : ''}`)
              .join('\n')
          : `no tokens for ${slug}`;
        return { json: { tokens }, text };
      }),
    );

  const member = program.command('member').description('memberships');
  member
    .command('add <slug> <username>')
    .description('add an existing user to a group')
    .addOption(new Option('--role <role>', 'membership role').choices(['member', 'admin']).default('member'))
    .action(
      on(async (s, slug: string, username: string, opts: { role: 'member' | 'admin' }) => {
        const membership = await s.members.add(await s.groups.get(slug), username, opts.role, CLI_CALLER);
        return {
          json: { membership: present.membership(slug, membership) },
          text: `${membership.user.username} is ${membership.role} of ${slug}`,
        };
      }),
    );
  member
    .command('remove <slug> <username>')
    .description('remove a user from a group (and end their sessions there)')
    .action(
      on(async (s, slug: string, username: string) => {
        const { revokedSessions } = await s.members.remove(await s.groups.get(slug), username, {}, CLI_CALLER);
        return { json: { removed: true }, text: `removed ${username} from ${slug} (${revokedSessions} sessions ended)` };
      }),
    );

  program
    .command('login-link <slug> <username>')
    .description('print a sign-in URL for a member (single use, expires like any SSO token): how the first admin gets in')
    .option('--redirect-to <path>', 'where the browser goes once signed in, a path on the group’s domain such as /admin')
    .action(
      on(async (s, slug: string, username: string, opts: { redirectTo?: string }) => {
        const minted = await s.signIn.createSsoToken(await s.groups.get(slug), username, { redirectTo: opts.redirectTo }, CLI_CALLER);
        return {
          json: { loginUrl: minted.loginUrl, expiresAt: iso(minted.expiresAt) },
          text: minted.loginUrl,
        };
      }),
    );

  const user = program.command('user').description('users');
  user
    .command('import <slug> <file>')
    .description('create users from a CSV (header row with email and any of username, suggestedUsername, firstName, lastName) or JSON Lines file')
    .option('--report <file>', 'where to write one JSON line per row (default: <file>.report.jsonl)')
    .addOption(new Option('--format <format>', 'the file format (default: from the file name, else csv)').choices(['csv', 'jsonl']))
    .action(
      on(async (s, slug: string, file: string, opts: { report?: string; format?: string }) => {
        const group = await s.groups.get(slug);
        const report = opts.report ?? `${file}.report.jsonl`;
        let summary;
        try {
          summary = await importUsers(s, group, {
            file,
            report,
            format: importFormat(file, opts.format),
            progress: program.opts().json ? null : (io.progress ?? null),
          });
        } catch (error) {
          if (error instanceof ImportFileError) throw new CliFailure(`${file}: ${error.message}; rows before it are in ${report}`);
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CliFailure(`${file}: no such file`);
          if ((error as NodeJS.ErrnoException).code === 'EISDIR') throw new CliFailure(`${file}: a directory, not a file`);
          throw error;
        }
        const { created, existing, failed } = summary;
        return {
          json: { created, failed, report },
          text: `imported ${file} into ${slug}: ${created} created, ${existing} already members, ${failed} refused (report: ${report})`,
          exitCode: failed > 0 ? SOME_ROWS_REFUSED : 0,
        };
      }),
    );

  program
    .command('events <slug>')
    .description("a group's events, oldest first (also of a deleted group); one JSON object a line with --json")
    .option('--type <type>', 'only events of this type (repeatable)', collect)
    .option('--since <iso-8601>', 'only events that occurred at or after this time')
    .action(
      on(async (s, slug: string, opts: { type?: string[]; since?: string }) => {
        const json = Boolean(program.opts().json);
        const group = await s.groups.getWithHistory(slug);
        if (!(await s.events.caughtUp(CATCH_UP_MS))) {
          io.stderr('warning: transactions older than this export were still running; events they commit are not in it\n');
        }
        // Streamed a page at a time, waiting for a slow reader: constant memory for any number of events.
        for await (const event of s.events.all(group, { types: opts.type ?? null, since: opts.since ?? null })) {
          if (io.stdout(`${json ? JSON.stringify(presentEvent(event)) : describeEvent(event)}\n`) === false) await io.drained?.();
        }
        return null;
      }),
    );

  program
    .command('backup <file>')
    .description('a consistent copy of the SQLite database, safe while the server writes (PostgreSQL: use pg_dump)')
    .action((...args: unknown[]) =>
      runOnFile(async (config, file: string) => {
        if (isPostgresUrl(config.databaseUrl)) {
          throw new CliFailure(
            'backup copies a SQLite database; on PostgreSQL use pg_dump, e.g. pg_dump --format=custom --file=team-api.dump "$DATABASE_URL"',
          );
        }
        const { bytes } = backupSqlite(config.databaseUrl, file);
        return { json: { backup: file, bytes }, text: `backed up to ${file} (${bytes} bytes)` };
      }, args.slice(0, -1)),
    );
  return program;
}

/** An event as `--json` prints it: the fields of the GraphQL `Event`. */
function presentEvent(e: EventRecord) {
  return {
    id: e.id,
    type: e.type,
    occurredAt: iso(e.occurredAt),
    actor: e.actor,
    target: e.target,
    ip: e.ip,
    userAgent: e.userAgent,
    requestId: e.requestId,
    data: e.data,
  };
}

/** An event as one line for a person. */
function describeEvent(e: EventRecord): string {
  const actor = e.actor.type === 'cli' || e.actor.type === 'system' ? e.actor.type : `${e.actor.type} ${e.actor.name ?? e.actor.id}`;
  const from = e.ip ? ` from ${e.ip}` : '';
  return `${iso(e.occurredAt)}  ${e.type}  ${e.target.type} ${e.target.name ?? e.target.id}  by ${actor}${from}  ${e.data}`;
}

class CliFailure extends Error {}

/** How long `events` waits for transactions older than itself, so the export has every event committed before it. */
const CATCH_UP_MS = 10_000;

/** Runs one CLI invocation; returns the exit code. */
export async function runAdmin(argv: string[], io: CliIo): Promise<number> {
  let runtime: Runtime | null = null;
  let exitCode = 0;
  const print = (outcome: Outcome) => io.stdout(`${program.opts().json ? JSON.stringify(outcome.json) : outcome.text}\n`);
  const program = buildProgram(
    io,
    async (action, args) => {
      runtime = await openRuntime(configFrom(io));
      const outcome = await action(runtime.services, ...args);
      if (outcome) print(outcome);
      exitCode = outcome?.exitCode ?? 0;
    },
    async (action, args) => {
      print(await action(configFrom(io), ...args));
    },
  );
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    io.stderr(`${describeFailure(error)}\n`);
    return 1;
  } finally {
    await (runtime as Runtime | null)?.close();
  }
}

/** The configuration of the environment, its warnings (a deprecated name) written to stderr. */
function configFrom(io: CliIo): Config {
  const config = loadConfig(io.env);
  for (const warning of config.warnings) io.stderr(`warning: ${warning}\n`);
  return config;
}

function describeFailure(error: unknown): string {
  if (error instanceof ConfigError || error instanceof CliFailure || error instanceof BackupError) return `error: ${error.message}`;
  if (error instanceof DomainError) {
    if (error.reason) return `error: ${error.field ? `${error.field}: ` : ''}${error.reason} (${error.code})`;
    return `error: ${error.message} (${error.code})`;
  }
  return `error: ${error instanceof Error ? error.message : String(error)}`;
}

// Run as a program (not imported by the tests); through a symlinked checkout too.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const code = await runAdmin(process.argv.slice(2), {
    env: process.env,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    drained: () => new Promise((resolve) => process.stdout.once('drain', resolve)),
    progress: process.stderr.isTTY ? process.stderr : null,
  });
  process.exitCode = code;
}
