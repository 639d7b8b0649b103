/** CLI `user import` (API.md §12): CSV and JSON Lines, the report, resuming, malformed files, the progress bar. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_CALLER } from '../../src/domain/events.ts';
import { createTestApp, envelopeOf, type GroupSeed, type TestApp } from '../support/harness.ts';
import { adminEntry, run } from '../support/processes.ts';

let t: TestApp;
let acme: GroupSeed;
let dir: string;

beforeEach(async () => {
  t = await createTestApp({ shared: true });
  acme = await t.seed.group('acme');
  dir = mkdtempSync(join(tmpdir(), 'team-api-import-'));
});
afterEach(() => t.close());

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const reportOf = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));

const usernames = async () => (await t.rows(`SELECT username FROM users ORDER BY username`)).map((r) => r.username);

describe('admin user import', () => {
  it('reads CSV as a CSV parser does: BOM, CRLF, quoted fields with commas, quotes and newlines, empty cells', async () => {
    const csv = file(
      'people.csv',
      '\ufeffemail,username,firstName,lastName\r\n' +
        'ada@example.com,ada-l,"Lovelace, Ada",\r\n' +
        '"grace@example.com","grace","Grace ""Amazing""","Hopper"\r\n' +
        'alan@example.com,,Alan,"Turing\r\nthe second"\r\n',
    );
    const res = await t.admin('user', 'import', 'acme', csv, '--json');
    // Three records (the quoted newline is inside one), the last refused: a name may not hold a line break.
    expect(res.code).toBe(3);
    expect(res.json()).toEqual({ created: 2, failed: 1, report: `${csv}.report.jsonl` });
    expect(await t.rows(`SELECT username, first_name, last_name FROM users ORDER BY username`)).toEqual([
      { username: 'ada-l', first_name: 'Lovelace, Ada', last_name: null },
      { username: 'grace', first_name: 'Grace "Amazing"', last_name: 'Hopper' },
    ]);
    expect(reportOf(`${csv}.report.jsonl`)).toEqual([
      { row: 1, username: 'ada-l' },
      { row: 2, username: 'grace' },
      { row: 3, error: envelopeOf('InvalidInput'), field: 'lastName' },
    ]);
  });

  it('applies exactly createUser’s rules, and reruns create nothing twice (rows already in the group are reported as existing)', async () => {
    await t.app.services.groups.update(acme.group, { allowedDomains: ['example.com'] }, CLI_CALLER);
    await acme.user('taken', { email: 'owner@example.com' });
    const csv = file(
      'mixed.csv',
      [
        'email,username,suggestedUsername',
        'one@example.com,user-one,',
        'two@other.org,user-two,',
        'three@example.com,taken,',
        'four@example.com,taken,fourth',
        'owner@example.com,brand-new,',
        'one@EXAMPLE.com,user-one-again,',
        'five@example.com,ab,',
      ].join('\n'),
    );
    const report = join(dir, 'out.jsonl');
    const first = await t.admin('user', 'import', 'acme', csv, '--report', report);
    expect(first.code).toBe(3);
    expect(first.stdout).toMatch(/2 created, 1 already members, 4 refused/);
    const lines = reportOf(report);
    expect(lines.map((l) => l.error?.code ?? (l.existing ? 'existing' : 'created'))).toEqual([
      'created',
      'InvalidEmailDomain',
      'UsernameAlreadyExists',
      'created',
      'existing',
      'EmailAlreadyExists',
      'OutOfRangeUsername',
    ]);
    expect(lines[3].username).toMatch(/^fourth[a-z0-9]{6}$/);
    expect(lines[4]).toEqual({ row: 5, username: 'taken', existing: true });

    const again = await t.admin('user', 'import', 'acme', csv, '--report', report, '--json');
    // Now also row 6's email belongs to a member from before this run: existing, not refused.
    expect(again.json()).toEqual({ created: 0, failed: 3, report });
    const rerun = reportOf(report);
    expect(rerun[0]).toEqual({ row: 1, username: 'user-one', existing: true });
    expect(rerun[3]).toEqual({ row: 4, username: lines[3].username, existing: true });
    expect(rerun[5]).toEqual({ row: 6, username: 'user-one', existing: true });
    expect(await t.count('users')).toBe(3);
  });

  it('reads JSON Lines, refusing fields of the wrong type row by row', async () => {
    const lines = [
      '\ufeff{"email":"ada@example.com","username":"ada-l","firstName":"Ada"}',
      '',
      '{"email":"bob@example.com","username":42}',
      '{"email":"cy@example.com","suggestedUsername":"cyril","lastName":null}',
    ];
    // A last line whose "é" (two bytes) is split between the file's first two 64 KiB reads.
    const zoe = '{"email":"zoe@example.com","username":"zoe-w","firstName":"Zoé"}';
    const before = Buffer.byteLength(`${lines.join('\r\n')}\r\n`);
    lines.push(`${' '.repeat(65535 - before - zoe.indexOf('é'))}${zoe}`);
    const jsonl = file('people.jsonl', lines.join('\r\n'));
    expect(readFileSync(jsonl).subarray(65535, 65537).toString()).toBe('é');
    const res = await t.admin('user', 'import', 'acme', jsonl, '--json');
    expect(res.json()).toMatchObject({ created: 3, failed: 1 });
    expect(reportOf(`${jsonl}.report.jsonl`).map((l) => l.error?.code ?? l.username.slice(0, 5))).toEqual(['ada-l', 'InvalidInput', 'cyril', 'zoe-w']);
    expect(await t.rows(`SELECT first_name FROM users WHERE username IN ('ada-l', 'zoe-w') ORDER BY username`)).toEqual([
      { first_name: 'Ada' },
      { first_name: 'Zoé' },
    ]);
  });

  it('records each created user as user.created by the CLI', async () => {
    const csv = file('two.csv', 'email,username\na@example.com,alpha\nb@example.com,beta\n');
    await t.admin('user', 'import', 'acme', csv);
    const events = await t.rows(`SELECT type, actor_type, target_name FROM events WHERE type = 'user.created' ORDER BY seq`);
    expect(events).toEqual([
      { type: 'user.created', actor_type: 'cli', target_name: 'alpha' },
      { type: 'user.created', actor_type: 'cli', target_name: 'beta' },
    ]);
  });

  it('stops at a malformed file, naming the line; exactly the rows before it are imported and reported', async () => {
    const rows = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}@example.com,${prefix}-user-${i}`);
    // [file, content, message, rows before the bad line]. A bad record in the middle of
    // the file's first chunk: the parser had already read the rows around it.
    const cases: Array<[string, string, RegExp, number]> = [
      ['quote.csv', `email,username\n${rows('q', 2500).join('\n')}\nbad@example.com,"unclosed\n`, /line 2502: Quote Not Closed/, 2500],
      ['middle.csv', `email,username\n${rows('m', 1500).join('\n')}\nbad@example.com,x,y,z\n${rows('n', 3000).join('\n')}\n`, /line 1502: Invalid Record Length/, 1500],
      ['closing.csv', 'email,username\na@example.com,"al"ice\n', /line 2: Invalid Closing Quote/, 0],
      ['header.csv', 'e-mail,username\na@example.com,alice\n', /line 1: unknown column "e-mail"/, 0],
      ['noemail.csv', 'username\nalice\n', /line 1: the header row has no email column/, 0],
      ['broken.jsonl', '{"email":"a@example.com","username":"alice"}\n{"email":\n', /line 2: not a JSON object/, 1],
      ['long.jsonl', `${rows('j', 1200).map((r) => JSON.stringify({ email: r.split(',')[0], username: r.split(',')[1] })).join('\n')}\n[]\n`, /line 1201: not a JSON object/, 1200],
      ['extra.jsonl', '{"email":"b@example.com","user":"bob"}\n', /line 1: unknown field "user"/, 0],
    ];
    for (const [name, content, message, imported] of cases) {
      const before = await t.count('users');
      const path = file(name, content);
      const res = await t.admin('user', 'import', 'acme', path);
      expect(res.code, name).toBe(1);
      expect(res.stderr, name).toMatch(message);
      // The line is named once, first: not again in csv-parse's own words.
      expect(res.stderr, name).not.toMatch(/ (at|on) line \d/);
      expect((await t.count('users')) - before, name).toBe(imported);
      if (imported > 0) expect(reportOf(`${path}.report.jsonl`).map((l) => l.row), name).toEqual(Array.from({ length: imported }, (_, i) => i + 1));
    }
  });

  it('writes its batches in the order of the file: a name a row takes is taken for every row after it, whatever its batch', async () => {
    // Three batches of 2,000 rows. Each is written (on SQLite by a writer thread) while the
    // next is read and planned, and is written only after the one before it.
    const rows = Array.from({ length: 4500 }, (_, i) => `p${i}@example.com,person-${i}`);
    rows[2100] = 'late@example.com,person-10'; // batch 2 wants batch 1's username
    rows[4200] = 'late@example.com,other-name'; // batch 3 wants the email of batch 2's refused row: free
    rows[4300] = 'p3000@example.com,later-name'; // batch 3 wants an email batch 2 took
    const csv = file('order.csv', `email,username\n${rows.join('\n')}\n`);
    const res = await t.admin('user', 'import', 'acme', csv, '--json');
    expect(res.json()).toEqual({ created: 4498, failed: 2, report: `${csv}.report.jsonl` });
    const report = reportOf(`${csv}.report.jsonl`);
    expect(report.map((l) => l.row)).toEqual(Array.from({ length: 4500 }, (_, i) => i + 1));
    expect(report[2100]).toEqual({ row: 2101, error: envelopeOf('UsernameAlreadyExists') });
    expect(report[4200]).toEqual({ row: 4201, username: 'other-name' });
    expect(report[4300]).toEqual({ row: 4301, error: envelopeOf('EmailAlreadyExists') });
    expect(await t.count('users')).toBe(4498);
    expect(Number((await t.rows(`SELECT count(*) AS n FROM events WHERE type = 'user.created'`))[0]!.n)).toBe(4498);
  });

  it('reports every row of a batch the database refuses to write as FailedToCreateUser, and goes on with the next', async () => {
    const cure = await t.injectFault('memberships');
    const rows = Array.from({ length: 2500 }, (_, i) => `f${i}@example.com,failing-${i}`);
    const csv = file('failing.csv', `email,username\n${rows.join('\n')}\n`);
    const res = await t.admin('user', 'import', 'acme', csv, '--json');
    expect(res.code).toBe(3);
    expect(res.json()).toEqual({ created: 0, failed: 2500, report: `${csv}.report.jsonl` });
    expect(new Set(reportOf(`${csv}.report.jsonl`).map((l) => l.error.code))).toEqual(new Set(['FailedToCreateUser']));
    expect(res.stderr).toBe('');
    expect(await t.count('users')).toBe(0);
    await cure();
    const again = await t.admin('user', 'import', 'acme', csv, '--json');
    expect(again.json()).toEqual({ created: 2500, failed: 0, report: `${csv}.report.jsonl` });
  });

  it('refuses an unknown group or file, and a bad --format', async () => {
    const csv = file('one.csv', 'email,username\na@example.com,alpha\n');
    expect((await t.admin('user', 'import', 'nope', csv)).stderr).toMatch(/GroupNotFound/);
    expect((await t.admin('user', 'import', 'acme', join(dir, 'missing.csv'))).stderr).toMatch(/no such file/);
    // A file that cannot be read fails the import with a line, not a stack (both readers).
    mkdirSync(join(dir, 'folder.csv'));
    for (const format of ['csv', 'jsonl']) {
      const res = await t.admin('user', 'import', 'acme', join(dir, 'folder.csv'), '--format', format);
      expect(res.code, format).toBe(1);
      expect(res.stderr, format).toMatch(/folder\.csv: a directory, not a file/);
      expect(res.stderr, format).not.toMatch(/    at /);
    }
    expect((await t.admin('user', 'import', 'acme', csv, '--format', 'xml')).code).toBe(2);
  });
});

describe('admin user import on a terminal', () => {
  it('draws a progress bar with rows per second and time left, and finishes it at 100%', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `p${i}@example.com,person-${i}`);
    const csv = file('many.csv', `email,username\n${rows.join('\n')}\n`);
    // `script` runs the CLI on a pseudo-terminal, as a person would.
    const command = [process.execPath, ...adminEntry, 'user', 'import', 'acme', csv].map((a) => `'${a}'`).join(' ');
    const result = await run('script', ['-qfec', command, '/dev/null'], { DATABASE_URL: t.databaseUrl, COLUMNS: '100' });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const screen = result.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    expect(screen).toMatch(/█/);
    expect(screen).toMatch(/\d+ rows \| \d+ rows\/s \| [\dsmh.]+ left/);
    expect(screen).toMatch(/100% \| 5000 rows/);
    expect(screen).toMatch(/5000 created, 0 already members, 0 refused/);
    expect(await t.count('users')).toBe(5000);
  });
});
