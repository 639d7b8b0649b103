/** The schema-evolution gate (scripts/schema-gate.ts): what fails it, what passes, and what a release writes. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareSchemas, files, readAccepted } from '../../scripts/schema-gate.ts';
import { run } from '../support/processes.ts';

const released = `
type Query { user(username: String!): UserResult! group: Group }
type User { id: ID! username: String! }
type Group { slug: String! title: String }
type NotFound { code: ErrorCode! }
union UserResult = User | NotFound
enum ErrorCode { NotFound InvalidInput }
`;

describe('the schema-evolution gate', () => {
  it('passes the committed schema against the released one', async () => {
    const changes = await compareSchemas(readFileSync(files.released, 'utf8'), readFileSync(files.current, 'utf8'), readAccepted());
    expect(changes.unaccepted.map((c) => `${c.type} ${c.path}`)).toEqual([]);
  });

  it('fails a Breaking change, unless accepted with a reason', async () => {
    const current = released.replace('title: String', '');
    const refused = await compareSchemas(released, current, []);
    expect(refused.unaccepted.map((c) => [c.type, c.path])).toEqual([['FIELD_REMOVED', 'Group.title']]);
    const noReason = await compareSchemas(released, current, [{ type: 'FIELD_REMOVED', path: 'Group.title', reason: ' ' }]);
    expect(noReason.unaccepted).toHaveLength(1);
    const accepted = await compareSchemas(released, current, [{ type: 'FIELD_REMOVED', path: 'Group.title', reason: 'unused since 2025' }]);
    expect(accepted.breaking).toHaveLength(1);
    expect(accepted.unaccepted).toEqual([]);
  });

  it('calls a member added to a result union, or a value added to ErrorCode, Dangerous', async () => {
    const current = released
      .replace('union UserResult = User | NotFound', 'type Gone { code: ErrorCode! }\nunion UserResult = User | NotFound | Gone')
      .replace('enum ErrorCode { NotFound InvalidInput }', 'enum ErrorCode { NotFound InvalidInput Gone }');
    const changes = await compareSchemas(released, current, []);
    expect(changes.dangerous.map((c) => [c.type, c.path])).toEqual(
      expect.arrayContaining([
        ['UNION_MEMBER_ADDED', 'UserResult'],
        ['ENUM_VALUE_ADDED', 'ErrorCode.Gone'],
      ]),
    );
    expect(changes.unaccepted).toEqual([]);
  });

  it('schema:diff exits 1 on a Breaking change not accepted; schema:release writes the CHANGELOG and the released schema', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'team-api-gate-'));
    mkdirSync(join(dir, 'schema'));
    writeFileSync(join(dir, 'schema/released.graphql'), released);
    writeFileSync(join(dir, 'schema/accepted-changes.json'), '{ "accepted": [] }\n');
    writeFileSync(join(dir, 'CHANGELOG.md'), '# Changelog\n\n## 0.1.0 (2026-01-01)\n\nFirst.\n');
    writeFileSync(join(dir, 'package.json'), '{ "name": "x", "version": "0.1.0" }\n');
    const gate = (mode: string) => run(process.execPath, ['--import', 'tsx', 'scripts/schema-gate.ts', mode], { SCHEMA_GATE_ROOT: dir });

    writeFileSync(join(dir, 'schema.graphql'), released.replace('title: String', ''));
    const breaking = await gate('diff');
    expect(breaking.code).toBe(1);
    expect(breaking.stdout).toMatch(/BREAKING +Group\.title: Field 'title' .*was removed.*not in schema\/accepted-changes\.json/);
    expect((await gate('release')).code).toBe(1);

    writeFileSync(join(dir, 'schema.graphql'), `${released}\ntype Extra { id: ID! }\n`.replace('group: Group }', 'group: Group extra: Extra }'));
    const safe = await gate('diff');
    expect(safe.code).toBe(0);
    expect(safe.stdout).toMatch(/NON_BREAKING +Query\.extra/);
    const released2 = await gate('release');
    expect(released2.code, released2.stderr).toBe(0);
    const changelog = readFileSync(join(dir, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toMatch(/^# Changelog\n\n## 0\.2\.0 \(\d{4}-\d{2}-\d{2}\)\n\n### Added and changed\n\n- `Extra`: Type 'Extra' was added/m);
    expect(changelog.indexOf('## 0.2.0')).toBeLessThan(changelog.indexOf('## 0.1.0'));
    expect(readFileSync(join(dir, 'schema/released.graphql'), 'utf8')).toBe(readFileSync(join(dir, 'schema.graphql'), 'utf8'));
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version).toBe('0.2.0');
    expect((await gate('diff')).stdout).toMatch(/No changes since the released schema/);
  });
});
