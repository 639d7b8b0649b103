/**
 * The schema-evolution gate: what changed between the last released schema
 * (schema/released.graphql) and schema.graphql, by graphql-inspector's criticality.
 *
 *   tsx scripts/schema-gate.ts diff      prints every change; exits 1 on a Breaking one not accepted
 *   tsx scripts/schema-gate.ts diff --summary   the same, with the safe changes only counted (npm test)
 *   tsx scripts/schema-gate.ts release   makes schema.graphql the released schema, and writes the
 *                                        changes into CHANGELOG.md under the next version
 *
 * A Breaking change passes only when schema/accepted-changes.json lists it (its
 * type and path) with a reason. Dangerous changes (a member added to a union, a
 * value added to an enum such as ErrorCode) pass, and are printed: they break a
 * client's exhaustive switch.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Change, CriticalityLevel, diff } from '@graphql-inspector/core';
import { buildSchema } from 'graphql';

/** The project's folder; SCHEMA_GATE_ROOT points the commands at a copy (the tests' way in). */
const base = process.env.SCHEMA_GATE_ROOT ?? fileURLToPath(new URL('..', import.meta.url));
const root = (path: string) => join(base, path);
export const files = {
  current: root('schema.graphql'),
  released: root('schema/released.graphql'),
  accepted: root('schema/accepted-changes.json'),
  changelog: root('CHANGELOG.md'),
  packageJson: root('package.json'),
};

export interface AcceptedChange {
  type: string;
  path: string;
  reason: string;
}

export interface SchemaChanges {
  breaking: Change[];
  dangerous: Change[];
  safe: Change[];
  /** Breaking changes that accepted-changes.json does not list. */
  unaccepted: Change[];
}

const key = (change: { type: string; path?: string }) => `${change.type} ${change.path ?? ''}`;

/** The changes from the released SDL to the current one, sorted by criticality. */
export async function compareSchemas(released: string, current: string, accepted: AcceptedChange[]): Promise<SchemaChanges> {
  const changes = await diff(buildSchema(released), buildSchema(current));
  const acceptedKeys = new Set(accepted.filter((a) => a.reason.trim() !== '').map(key));
  const of = (level: CriticalityLevel) => changes.filter((c) => c.criticality.level === level);
  const breaking = of(CriticalityLevel.Breaking);
  return {
    breaking,
    dangerous: of(CriticalityLevel.Dangerous),
    safe: of(CriticalityLevel.NonBreaking),
    unaccepted: breaking.filter((c) => !acceptedKeys.has(key(c))),
  };
}

export function readAccepted(path = files.accepted): AcceptedChange[] {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { accepted?: AcceptedChange[] };
  return parsed.accepted ?? [];
}

function line(change: Change, mark = ''): string {
  return `  ${change.criticality.level.padEnd(12)} ${change.path ?? ''}: ${change.message}${mark}`;
}

/** The report `schema:diff` prints; with `summary`, safe changes are only counted. */
export function describeChanges(changes: SchemaChanges, summary = false): string {
  const out: string[] = [];
  const unaccepted = new Set(changes.unaccepted);
  if (changes.breaking.length) {
    out.push(`Breaking changes (${changes.breaking.length}):`);
    for (const c of changes.breaking) out.push(line(c, unaccepted.has(c) ? '  <- not in schema/accepted-changes.json' : '  (accepted)'));
  }
  if (changes.dangerous.length) {
    out.push(`Dangerous changes (${changes.dangerous.length}): clients that switch over every member or value need a new case`);
    for (const c of changes.dangerous) out.push(line(c));
  }
  if (changes.safe.length) {
    out.push(`Safe changes (${changes.safe.length})${summary ? ': npm run schema:diff lists them' : ':'}`);
    if (!summary) for (const c of changes.safe) out.push(line(c));
  }
  if (out.length === 0) out.push('No changes since the released schema.');
  return out.join('\n');
}

/** The CHANGELOG section of a release. */
export function changelogSection(version: string, date: string, changes: SchemaChanges, accepted: AcceptedChange[]): string {
  const reasons = new Map(accepted.map((a) => [key(a), a.reason]));
  const list = (items: Change[], withReason = false) =>
    items.map((c) => `- \`${c.path ?? ''}\`: ${c.message}${withReason && reasons.has(key(c)) ? ` (${reasons.get(key(c))})` : ''}`);
  const parts = [`## ${version} (${date})`, ''];
  if (changes.breaking.length) parts.push('### Breaking', '', ...list(changes.breaking, true), '');
  if (changes.dangerous.length) parts.push('### Dangerous', '', ...list(changes.dangerous), '');
  if (changes.safe.length) parts.push('### Added and changed', '', ...list(changes.safe), '');
  if (parts.length === 2) parts.push('No schema changes.', '');
  return parts.join('\n');
}

/** The next version: major for a Breaking change (minor before 1.0), minor for any other change, else patch. */
export function nextVersion(version: string, changes: SchemaChanges): string {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
  if (changes.breaking.length) return major === 0 ? `0.${minor + 1}.0` : `${major + 1}.0.0`;
  if (changes.dangerous.length || changes.safe.length) return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

async function main(mode: string | undefined, summary: boolean): Promise<number> {
  const released = readFileSync(files.released, 'utf8');
  const current = readFileSync(files.current, 'utf8');
  const accepted = readAccepted();
  const changes = await compareSchemas(released, current, accepted);
  if (mode === 'diff') {
    console.log(describeChanges(changes, summary));
    if (changes.unaccepted.length) {
      console.error(
        `\n${changes.unaccepted.length} Breaking change(s) not accepted: undo them, or list each in schema/accepted-changes.json ` +
          'as {"type", "path", "reason"} if clients have been told.',
      );
      return 1;
    }
    return 0;
  }
  if (mode === 'release') {
    if (changes.unaccepted.length) {
      console.error(describeChanges(changes));
      console.error('\nA release cannot carry Breaking changes that are not accepted.');
      return 1;
    }
    const pkg = JSON.parse(readFileSync(files.packageJson, 'utf8')) as { version: string };
    const version = nextVersion(pkg.version, changes);
    const section = changelogSection(version, new Date().toISOString().slice(0, 10), changes, accepted);
    const changelog = readFileSync(files.changelog, 'utf8');
    const marker = changelog.indexOf('\n## ');
    writeFileSync(files.changelog, marker < 0 ? `${changelog.trimEnd()}\n\n${section}` : `${changelog.slice(0, marker + 1)}${section}\n${changelog.slice(marker + 1)}`);
    writeFileSync(files.released, current);
    writeFileSync(files.accepted, `${JSON.stringify({ accepted: [] }, null, 2)}\n`);
    const packageText = readFileSync(files.packageJson, 'utf8').replace(/"version": "[^"]+"/, `"version": "${version}"`);
    writeFileSync(files.packageJson, packageText);
    console.log(`released the schema as ${version}: CHANGELOG.md, schema/released.graphql and package.json updated`);
    return 0;
  }
  console.error('usage: tsx scripts/schema-gate.ts diff|release');
  return 2;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv[2], process.argv.includes('--summary'));
