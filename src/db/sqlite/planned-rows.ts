/**
 * Planned users and events as the positional parameters of SQLite's inserts: the
 * rows a unit of work binds, and the form they cross to the writer thread in.
 */
import type { NewEvent, PlannedUser } from '../store.ts';

/** An event's columns in the order of the insert's parameters (`hot().insertEvent`). */
export type EventRow = [
  id: string, groupId: string, type: string, occurredAt: number, actorType: string, actorId: string | null, actorName: string | null,
  targetType: string, targetId: string, targetName: string | null, ip: string | null, userAgent: string | null, requestId: string | null, data: string,
];

export const EVENT_FIELDS = 14;

export function eventRow(e: NewEvent): EventRow {
  const { actor, target } = e;
  return [e.id, e.groupId, e.type, e.occurredAt, actor.type, actor.id, actor.name, target.type, target.id, target.name, e.ip, e.userAgent, e.requestId, e.data];
}

/**
 * Planned users as one flat array of the inserts' parameters, the form a writer
 * thread is sent (a flat array crosses threads at a third of the cost of the
 * objects): per user its row (id, username, email, email as compared, first and
 * last name, creation time), then how many events it has and each event's columns
 * (see `eventRow`).
 */
export type PlannedRows = Array<string | number | null>;

/** The fields of a user's part of the rows, before its events'. */
export const USER_FIELDS = 8;

export function plannedRows(planned: PlannedUser[]): PlannedRows {
  const rows: PlannedRows = [];
  for (const { user, events } of planned) {
    rows.push(user.id, user.username, user.email, user.email.toLowerCase(), user.firstName, user.lastName, user.createdAt, events.length);
    for (const event of events) rows.push(...eventRow(event));
  }
  return rows;
}
