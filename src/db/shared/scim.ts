/**
 * SCIM's storage (API.md §18), written once for both dialects. Each method is a
 * script: a generator that yields the SQL it needs (portable SQL: the same text runs
 * on SQLite and PostgreSQL) and gets the rows back. A dialect runs a script its own
 * way (sqlite/scim.ts synchronously inside a unit of work, postgres/scim.ts awaiting
 * each statement in a transaction), so the rules of a SCIM write live here once.
 * SCIM writes are rare next to sign-ins: clarity over a prepared statement each.
 */
import { type SQL, sql } from 'drizzle-orm';
import { DomainError } from '../../errors/domain-error.ts';
import type { NewEvent } from '../ports/events.ts';
import type { MemberRecord } from '../ports/members.ts';
import type { MemberRole } from '../ports/records.ts';
import type { ScimStore } from '../ports/scim.ts';
import type {
  AdminDirectoryGroupChange,
  AdminDirectoryGroupFacts,
  DirectoryGroupPlan,
  DirectoryGroupQuery,
  DirectoryGroupRecord,
  MemberRef,
  ScimMemberPlan,
  ScimMemberQuery,
  ScimMemberRecord,
} from '../ports/scim.ts';

export type Row = Record<string, unknown>;

/** What a script asks its dialect for. */
export type Step =
  | { read: SQL }
  | { run: SQL }
  | { events: NewEvent[] }
  /** Serialises the group's SCIM writes (PostgreSQL; SQLite's writes take turns already). */
  | { lock: string };

export type Script<T> = Generator<Step, T, Row[]>;

function* read(query: SQL): Generator<Step, Row[], Row[]> {
  return yield { read: query };
}

function* run(query: SQL): Generator<Step, void, Row[]> {
  yield { run: query };
}

/** PostgreSQL answers bigint columns as strings. */
const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const list = (values: readonly string[]) => sql.join(values.map((v) => sql`${v}`), sql`, `);

/** Lists of ids go to the database in slices: each dialect bounds the parameters of one statement. */
const SLICE = 500;
function slices<T>(values: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += SLICE) out.push(values.slice(i, i + SLICE));
  return out;
}

const MEMBER_SELECT = sql`SELECT u.id AS "id", u.username AS "username", u.email AS "email", u.first_name AS "firstName",
  u.last_name AS "lastName", u.created_at AS "createdAt", m.role AS "role", m.created_at AS "joinedAt",
  m.suspended_at AS "suspendedAt", s.user_name AS "userName", s.external_id AS "externalId", s.emails AS "emails",
  s.updated_at AS "updatedAt"
  FROM memberships m JOIN users u ON u.id = m.user_id
  LEFT JOIN scim_users s ON s.group_id = m.group_id AND s.user_id = m.user_id`;
const MEMBER_ORDER = sql`ORDER BY m.created_at, m.user_id`;

function memberOf(row: Row): ScimMemberRecord {
  return {
    user: {
      id: row.id as string,
      username: row.username as string,
      email: row.email as string,
      firstName: (row.firstName as string | null) ?? null,
      lastName: (row.lastName as string | null) ?? null,
      createdAt: num(row.createdAt),
    },
    role: row.role as MemberRole,
    joinedAt: num(row.joinedAt),
    suspendedAt: numOrNull(row.suspendedAt),
    scim:
      row.userName === null || row.userName === undefined
        ? null
        : {
            userName: row.userName as string,
            externalId: (row.externalId as string | null) ?? null,
            emails: JSON.parse(row.emails as string),
            updatedAt: num(row.updatedAt),
          },
  };
}

export function* scimMembers(groupId: string, query: ScimMemberQuery): Script<ScimMemberRecord[]> {
  const inGroup = sql`m.group_id = ${groupId}`;
  let rows: Row[];
  if ('userIds' in query) {
    rows = [];
    for (const ids of slices(query.userIds)) rows.push(...(yield* read(sql`${MEMBER_SELECT} WHERE ${inGroup} AND m.user_id IN (${list(ids)})`)));
  } else if ('userNameKey' in query) {
    // Two index lookups: the userName SCIM wrote, or the username of a member it never wrote.
    const key = query.userNameKey;
    rows = [
      ...(yield* read(sql`${MEMBER_SELECT} WHERE ${inGroup} AND s.user_name_key = ${key}`)),
      ...(yield* read(sql`${MEMBER_SELECT} WHERE ${inGroup} AND u.username = ${key} AND s.user_id IS NULL`)),
    ];
  } else if ('externalId' in query) {
    rows = yield* read(sql`${MEMBER_SELECT} WHERE ${inGroup}
      AND m.user_id IN (SELECT user_id FROM scim_users WHERE group_id = ${groupId} AND external_id = ${query.externalId})`);
  } else if ('emailKey' in query) {
    // Two index lookups: any address of a member's SCIM emails, or the product's email (a member SCIM never wrote).
    const key = query.emailKey;
    const listed = yield* read(sql`${MEMBER_SELECT} WHERE ${inGroup}
      AND m.user_id IN (SELECT user_id FROM scim_emails WHERE group_id = ${groupId} AND value_key = ${key})`);
    const own = yield* read(sql`${MEMBER_SELECT} WHERE ${inGroup} AND u.email_normalized = ${key}`);
    rows = [...listed, ...own.filter((r) => !listed.some((l) => l.id === r.id))];
  } else {
    const { after, limit, offset = 0 } = query;
    const cursor = after
      ? sql` AND (m.created_at > ${after.joinedAt} OR (m.created_at = ${after.joinedAt} AND m.user_id > ${after.userId}))`
      : sql``;
    return (yield* read(sql`${MEMBER_SELECT} WHERE ${inGroup}${cursor} ${MEMBER_ORDER} LIMIT ${limit} OFFSET ${offset}`)).map(memberOf);
  }
  // A lookup finds few: ordered here, as an ORDER BY would lead SQLite to walk the group's memberships instead of the index.
  return rows.map(memberOf).sort((a, b) => a.joinedAt - b.joinedAt || (a.user.id < b.user.id ? -1 : a.user.id > b.user.id ? 1 : 0));
}

export function* countMembers(groupId: string): Script<number> {
  const [row] = yield* read(sql`SELECT count(*) AS "n" FROM memberships WHERE group_id = ${groupId}`);
  return num(row!.n);
}

function* adminDirectoryGroupOf(groupId: string): Generator<Step, string | null, Row[]> {
  const [row] = yield* read(sql`SELECT admin_directory_group_id AS "id" FROM groups WHERE id = ${groupId}`);
  return (row?.id as string | null | undefined) ?? null;
}

/** Creates or changes a member as the plan decides, in one transaction (API.md §18). */
export function* saveScimMember(groupId: string, plan: ScimMemberPlan): Script<ScimMemberRecord | DomainError> {
  yield { lock: groupId };
  const current = plan.userId === null ? null : ((yield* scimMembers(groupId, { userIds: [plan.userId] }))[0] ?? null);
  const holders = yield* scimMembers(groupId, { userNameKey: plan.userNameKey });
  const [emailRow] = yield* read(sql`SELECT id AS "id" FROM users WHERE email_normalized = ${plan.emailKey}`);
  const taken =
    plan.usernames.length === 0 ? [] : yield* read(sql`SELECT username AS "username" FROM users WHERE username IN (${list(plan.usernames)})`);
  const change = plan.decide({
    current,
    userNameHolder: holders[0]?.user.id ?? null,
    emailHolder: (emailRow?.id as string | undefined) ?? null,
    takenUsernames: new Set(taken.map((r) => r.username as string)),
    adminDirectoryGroupId: yield* adminDirectoryGroupOf(groupId),
    // Only an admin's change can leave the group without one; two admins are enough to know it cannot.
    adminCount:
      current?.role === 'admin'
        ? num((yield* read(sql`SELECT count(*) AS "n" FROM (SELECT 1 FROM memberships WHERE group_id = ${groupId} AND role = 'admin' LIMIT 2) a`))[0]!.n)
        : 0,
  });
  if (change instanceof DomainError) return change;

  const { user, scim } = change;
  const emailNormalized = user.email.toLowerCase();
  const suspendedAt = change.suspended ? (current?.suspendedAt ?? plan.at) : null;
  if (change.created) {
    yield* run(sql`INSERT INTO users (id, username, email, email_normalized, first_name, last_name, created_at)
      VALUES (${user.id}, ${user.username}, ${user.email}, ${emailNormalized}, ${user.firstName}, ${user.lastName}, ${user.createdAt})`);
    yield* run(sql`INSERT INTO memberships (group_id, user_id, role, created_at, suspended_at)
      VALUES (${groupId}, ${user.id}, ${change.role}, ${user.createdAt}, ${suspendedAt})`);
  } else {
    yield* run(sql`UPDATE users SET email = ${user.email}, email_normalized = ${emailNormalized}, first_name = ${user.firstName},
      last_name = ${user.lastName} WHERE id = ${user.id}`);
    yield* run(sql`UPDATE memberships SET role = ${change.role}, suspended_at = ${suspendedAt}
      WHERE group_id = ${groupId} AND user_id = ${user.id}`);
  }
  // Suspension ends the member's sessions in the same transaction: no sign-in outlives it.
  const ended =
    change.suspended && current?.suspendedAt == null && !change.created
      ? yield* read(sql`DELETE FROM sessions WHERE group_id = ${groupId} AND user_id = ${user.id} RETURNING id AS "id"`)
      : [];
  const emails = JSON.stringify(scim.emails);
  yield* run(sql`INSERT INTO scim_users (group_id, user_id, user_name, user_name_key, external_id, emails, updated_at)
    VALUES (${groupId}, ${user.id}, ${scim.userName}, ${plan.userNameKey}, ${scim.externalId}, ${emails}, ${scim.updatedAt})
    ON CONFLICT (group_id, user_id) DO UPDATE SET user_name = excluded.user_name, user_name_key = excluded.user_name_key,
      external_id = excluded.external_id, emails = excluded.emails, updated_at = excluded.updated_at`);
  yield* run(sql`DELETE FROM scim_emails WHERE group_id = ${groupId} AND user_id = ${user.id}`);
  const addresses = [...new Set(scim.emails.map((e) => e.value.toLowerCase()))];
  if (addresses.length > 0) {
    yield* run(sql`INSERT INTO scim_emails (group_id, value_key, user_id)
      VALUES ${sql.join(addresses.map((a) => sql`(${groupId}, ${a}, ${user.id})`), sql`, `)}`);
  }
  yield { events: change.events(ended.map((r) => r.id as string)) };
  return { user, role: change.role, joinedAt: current?.joinedAt ?? user.createdAt, suspendedAt, scim };
}

const GROUP_SELECT = sql`SELECT id AS "id", group_id AS "groupId", display_name AS "displayName", external_id AS "externalId",
  created_at AS "createdAt", updated_at AS "updatedAt" FROM directory_groups`;

function directoryGroupOf(row: Row): DirectoryGroupRecord {
  return {
    id: row.id as string,
    groupId: row.groupId as string,
    displayName: row.displayName as string,
    externalId: (row.externalId as string | null) ?? null,
    createdAt: num(row.createdAt),
    updatedAt: num(row.updatedAt),
  };
}

export function* directoryGroups(groupId: string, query: DirectoryGroupQuery): Script<DirectoryGroupRecord[]> {
  const order = sql`ORDER BY created_at, id`;
  let condition: SQL;
  if ('ids' in query) condition = query.ids.length ? sql`id IN (${list(query.ids)})` : sql`1 = 0`;
  else if ('displayNameKey' in query) condition = sql`display_name_key = ${query.displayNameKey}`;
  else if ('externalId' in query) condition = sql`external_id = ${query.externalId}`;
  else if ('memberUserId' in query) {
    condition = sql`id IN (SELECT directory_group_id FROM directory_group_members WHERE user_id = ${query.memberUserId})`;
  } else {
    const { after, limit } = query;
    const cursor = after ? sql` AND (created_at > ${after.createdAt} OR (created_at = ${after.createdAt} AND id > ${after.id}))` : sql``;
    const rows = yield* read(sql`${GROUP_SELECT} WHERE group_id = ${groupId}${cursor} ${order} LIMIT ${limit}`);
    return rows.map(directoryGroupOf);
  }
  const rows = yield* read(sql`${GROUP_SELECT} WHERE group_id = ${groupId} AND ${condition} ${order}`);
  return rows.map(directoryGroupOf);
}

export function* countDirectoryGroups(groupId: string): Script<number> {
  const [row] = yield* read(sql`SELECT count(*) AS "n" FROM directory_groups WHERE group_id = ${groupId}`);
  return num(row!.n);
}

const DG_MEMBERS = (directoryGroupId: string) => sql`FROM directory_group_members d
  JOIN directory_groups g ON g.id = d.directory_group_id
  JOIN memberships m ON m.group_id = g.group_id AND m.user_id = d.user_id
  WHERE d.directory_group_id = ${directoryGroupId}`;

export function* directoryGroupMemberIds(directoryGroupId: string): Script<string[]> {
  const rows = yield* read(sql`SELECT d.user_id AS "userId" ${DG_MEMBERS(directoryGroupId)} ${MEMBER_ORDER}`);
  return rows.map((r) => r.userId as string);
}

export function* directoryGroupMembers(
  groupId: string,
  directoryGroupId: string,
  limit: number,
  after: { joinedAt: number; userId: string } | null,
): Script<MemberRecord[]> {
  const cursor = after
    ? sql` AND (m.created_at > ${after.joinedAt} OR (m.created_at = ${after.joinedAt} AND m.user_id > ${after.userId}))`
    : sql``;
  const rows = yield* read(sql`${MEMBER_SELECT}
    WHERE m.group_id = ${groupId} AND m.user_id IN (SELECT user_id FROM directory_group_members WHERE directory_group_id = ${directoryGroupId})${cursor}
    ${MEMBER_ORDER} LIMIT ${limit}`);
  return rows.map((row) => {
    const { scim: _scim, ...member } = memberOf(row);
    return member;
  });
}

/** The group's members among these ids, with their roles. */
function* memberRefs(groupId: string, userIds: readonly string[]): Generator<Step, Map<string, MemberRef>, Row[]> {
  const refs = new Map<string, MemberRef>();
  for (const ids of slices(userIds)) {
    const rows = yield* read(sql`SELECT m.user_id AS "userId", u.username AS "username", m.role AS "role"
      FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.group_id = ${groupId} AND m.user_id IN (${list(ids)})`);
    for (const r of rows) refs.set(r.userId as string, { userId: r.userId as string, username: r.username as string, role: r.role as MemberRole });
  }
  return refs;
}

function* setRoles(groupId: string, roles: ReadonlyArray<{ userId: string; role: MemberRole }>): Generator<Step, void, Row[]> {
  for (const role of ['admin', 'member'] as const) {
    const ids = roles.filter((r) => r.role === role).map((r) => r.userId);
    for (const part of slices(ids)) yield* run(sql`UPDATE memberships SET role = ${role} WHERE group_id = ${groupId} AND user_id IN (${list(part)})`);
  }
}

/** Creates or changes a directory group and its members as the plan decides, in one transaction. */
export function* saveDirectoryGroup(groupId: string, plan: DirectoryGroupPlan): Script<DirectoryGroupRecord | DomainError> {
  yield { lock: groupId };
  const current = plan.id === null ? null : ((yield* directoryGroups(groupId, { ids: [plan.id] }))[0] ?? null);
  const memberIds = current ? yield* directoryGroupMemberIds(current.id) : [];
  const [holder] = plan.displayNameKey === null ? [] : yield* directoryGroups(groupId, { displayNameKey: plan.displayNameKey });
  const members = yield* memberRefs(groupId, [...new Set([...plan.namedUserIds, ...memberIds])]);
  const change = plan.decide({
    current,
    memberIds,
    displayNameHolder: holder?.id ?? null,
    members,
    adminDirectoryGroupId: yield* adminDirectoryGroupOf(groupId),
  });
  if (change instanceof DomainError) return change;

  const { record } = change;
  const key = record.displayName.toLowerCase();
  if (current) {
    yield* run(sql`UPDATE directory_groups SET display_name = ${record.displayName}, display_name_key = ${key},
      external_id = ${record.externalId}, updated_at = ${record.updatedAt} WHERE id = ${record.id}`);
  } else {
    yield* run(sql`INSERT INTO directory_groups (id, group_id, display_name, display_name_key, external_id, created_at, updated_at)
      VALUES (${record.id}, ${groupId}, ${record.displayName}, ${key}, ${record.externalId}, ${record.createdAt}, ${record.updatedAt})`);
  }
  for (const ids of slices(change.removed)) {
    yield* run(sql`DELETE FROM directory_group_members WHERE directory_group_id = ${record.id} AND user_id IN (${list(ids)})`);
  }
  for (const ids of slices(change.added)) {
    const values = sql.join(ids.map((id) => sql`(${record.id}, ${id})`), sql`, `);
    yield* run(sql`INSERT INTO directory_group_members (directory_group_id, user_id) VALUES ${values}`);
  }
  yield* setRoles(groupId, change.roles);
  yield { events: change.events };
  return record;
}

export function* deleteDirectoryGroup(
  groupId: string,
  id: string,
  events: (record: DirectoryGroupRecord) => NewEvent[],
): Script<boolean> {
  yield { lock: groupId };
  const [record] = yield* directoryGroups(groupId, { ids: [id] });
  if (!record) return false;
  yield* run(sql`DELETE FROM directory_group_members WHERE directory_group_id = ${id}`);
  yield* run(sql`DELETE FROM directory_groups WHERE id = ${id}`);
  // The roles it gave stay as they are; they are set one by one again from now on.
  yield* run(sql`UPDATE groups SET admin_directory_group_id = NULL WHERE id = ${groupId} AND admin_directory_group_id = ${id}`);
  yield { events: events(record) };
  return true;
}

export function* setAdminDirectoryGroup(
  groupId: string,
  directoryGroupId: string | null,
  decide: (facts: AdminDirectoryGroupFacts) => AdminDirectoryGroupChange | DomainError,
): Script<true | DomainError> {
  yield { lock: groupId };
  const [directoryGroup] = directoryGroupId === null ? [] : yield* directoryGroups(groupId, { ids: [directoryGroupId] });
  const inGroup = directoryGroupId === null
    ? sql`0`
    : sql`CASE WHEN EXISTS (SELECT 1 FROM directory_group_members d WHERE d.directory_group_id = ${directoryGroupId} AND d.user_id = m.user_id) THEN 1 ELSE 0 END`;
  const rows = yield* read(sql`SELECT m.user_id AS "userId", u.username AS "username", m.role AS "role", ${inGroup} AS "inDirectoryGroup"
    FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.group_id = ${groupId}`);
  const change = decide({
    previousId: yield* adminDirectoryGroupOf(groupId),
    directoryGroup: directoryGroup ?? null,
    members: rows.map((r) => ({
      userId: r.userId as string,
      username: r.username as string,
      role: r.role as MemberRole,
      inDirectoryGroup: num(r.inDirectoryGroup) === 1,
    })),
  });
  if (change instanceof DomainError) return change;
  yield* run(sql`UPDATE groups SET admin_directory_group_id = ${directoryGroupId} WHERE id = ${groupId}`);
  yield* setRoles(groupId, change.roles);
  yield { events: change.events };
  return true;
}

/** What goes with a membership when it is removed (any way: SCIM, removeMember, the console): the identity provider's record of it. */
export const membershipLeftovers = (groupId: string, userId: string): SQL[] => [
  sql`DELETE FROM scim_users WHERE group_id = ${groupId} AND user_id = ${userId}`,
  sql`DELETE FROM scim_emails WHERE group_id = ${groupId} AND user_id = ${userId}`,
  sql`DELETE FROM directory_group_members WHERE user_id = ${userId}
    AND directory_group_id IN (SELECT id FROM directory_groups WHERE group_id = ${groupId})`,
];

/** The SCIM store over a dialect's two ways of running a script: a read as it comes, a write in one transaction. */
export function scimStoreOf(
  reading: <T>(script: Script<T>) => Promise<T>,
  writing: <T>(script: () => Script<T>) => Promise<T>,
): ScimStore {
  return {
    scimMembers: (groupId, query) => reading(scimMembers(groupId, query)),
    countMembers: (groupId) => reading(countMembers(groupId)),
    saveScimMember: (groupId, plan) => writing(() => saveScimMember(groupId, plan)),
    directoryGroups: (groupId, query) => reading(directoryGroups(groupId, query)),
    countDirectoryGroups: (groupId) => reading(countDirectoryGroups(groupId)),
    directoryGroupMemberIds: (id) => reading(directoryGroupMemberIds(id)),
    directoryGroupMembers: (groupId, id, limit, after) => reading(directoryGroupMembers(groupId, id, limit, after)),
    saveDirectoryGroup: (groupId, plan) => writing(() => saveDirectoryGroup(groupId, plan)),
    deleteDirectoryGroup: (groupId, id, events) => writing(() => deleteDirectoryGroup(groupId, id, events)),
    setAdminDirectoryGroup: (groupId, id, decide) => writing(() => setAdminDirectoryGroup(groupId, id, decide)),
  };
}
