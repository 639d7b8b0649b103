/**
 * Planned users and events as the positional parameters of SQLite's inserts: the
 * rows a unit of work binds, and the form they cross to the writer thread in.
 */
import type { NewEvent, PlannedUser } from '../store.ts';

/** An event's columns in the order of the insert's parameters (`EVENT_COLUMNS`). */
export type EventRow = [
  id: string, groupId: string, type: string, occurredAt: number, actorType: string, actorId: string | null, actorName: string | null,
  targetType: string, targetId: string, targetName: string | null, ip: string | null, userAgent: string | null, requestId: string | null, data: string,
];

export const EVENT_COLUMNS = [
  'id', 'group_id', 'type', 'occurred_at', 'actor_type', 'actor_id', 'actor_name',
  'target_type', 'target_id', 'target_name', 'ip', 'user_agent', 'request_id', 'data',
] as const;

export function eventRow(e: NewEvent): EventRow {
  const { actor, target } = e;
  return [e.id, e.groupId, e.type, e.occurredAt, actor.type, actor.id, actor.name, target.type, target.id, target.name, e.ip, e.userAgent, e.requestId, e.data];
}

/**
 * Planned users as two flat arrays of the inserts' parameters, the form a writer
 * thread is sent (a flat array crosses threads at a third of the cost of the
 * objects): `users`, per user its row (id, username, email, email as compared,
 * first and last name, creation time); `events`, their events' columns in the
 * same order (see `eventRow`).
 */
export interface PlannedRows {
  users: Array<string | number | null>;
  events: Array<string | number | null>;
}

/** A user's row in `PlannedRows.users`: the columns of its insert, in order. */
export const USER_COLUMNS = ['id', 'username', 'email', 'email_normalized', 'first_name', 'last_name', 'created_at'] as const;
export const USER_FIELDS = USER_COLUMNS.length;
/** Where a user's row holds its creation time (its membership's too). */
export const USER_CREATED_AT = USER_COLUMNS.indexOf('created_at');

export function plannedRows(planned: PlannedUser[]): PlannedRows {
  const users: PlannedRows['users'] = [];
  const events: PlannedRows['events'] = [];
  for (const { user, events: own } of planned) {
    users.push(user.id, user.username, user.email, user.email.toLowerCase(), user.firstName, user.lastName, user.createdAt);
    for (const event of own) events.push(...eventRow(event));
  }
  return { users, events };
}
