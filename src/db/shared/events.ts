/** Events as both dialects read them: the one mapping between the `events` table's columns and the event records. */
import { and, eq, inArray, type SQL } from 'drizzle-orm';
import type { Columns, Pageable } from './tables.ts';
import type { EventFilter, EventPosition, EventRecord, NewEvent } from '../store.ts';

/** The columns of an events row other than its position, by their TypeScript names: the event, its actor and target flattened. */
export type EventRow = Omit<NewEvent, 'actor' | 'target'> & {
  actorType: string;
  actorId: string | null;
  actorName: string | null;
  targetType: string;
  targetId: string;
  targetName: string | null;
};

export function eventRow(event: NewEvent): EventRow {
  return {
    id: event.id,
    groupId: event.groupId,
    type: event.type,
    occurredAt: event.occurredAt,
    actorType: event.actor.type,
    actorId: event.actor.id,
    actorName: event.actor.name,
    targetType: event.target.type,
    targetId: event.target.id,
    targetName: event.target.name,
    ip: event.ip,
    userAgent: event.userAgent,
    requestId: event.requestId,
    data: event.data,
  };
}

export function eventRecord(row: EventRow, position: EventPosition): EventRecord {
  return {
    id: row.id,
    groupId: row.groupId,
    type: row.type,
    occurredAt: Number(row.occurredAt),
    actor: { type: row.actorType as NewEvent['actor']['type'], id: row.actorId, name: row.actorName },
    target: { type: row.targetType, id: row.targetId, name: row.targetName },
    ip: row.ip,
    userAgent: row.userAgent,
    requestId: row.requestId,
    data: row.data,
    position,
  };
}

/** Which events of a group a page holds, and how many at most. */
export type EventPage = Pick<EventFilter, 'types' | 'limit'>;

/** A page of the group's events of these types (null: all) that meet the other conditions, in this order. */
export function eventsPage<Q>(
  query: Pageable<Q>,
  events: Columns<'groupId' | 'type'>,
  groupId: string,
  filter: EventPage,
  where: Array<SQL | undefined>,
  order: SQL[],
): Q {
  const { types, limit } = filter;
  return query
    .where(and(eq(events.groupId, groupId), types ? inArray(events.type, types) : undefined, ...where))
    .orderBy(...order)
    .limit(limit);
}
