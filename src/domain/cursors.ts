/**
 * Page cursors: opaque to clients (base64url of the row's sort key as JSON) and
 * checked against the listing's key shape on the way back in. Every transport that
 * pages (GraphQL, the console) hands out and reads the same ones.
 */
import { z } from 'zod';
import type { EventRecord, MemberRecord, SessionRecord } from '../db/store.ts';
import { invalidInput } from '../errors/domain-error.ts';

/** Longer than any cursor this server writes: refused before decoding. */
const CURSOR_MAX_LENGTH = 512;

export function encodeCursor(key: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The key of an `after` cursor; null when there is none; InvalidInput (field "after") when it is not one of ours. */
export function decodeCursor<T>(after: string | null | undefined, key: z.ZodType<T>): T | null {
  if (after == null) return null;
  let decoded: unknown;
  try {
    if (after.length <= CURSOR_MAX_LENGTH) decoded = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'));
  } catch {
    // Not JSON: refused below like any other foreign value.
  }
  const parsed = key.safeParse(decoded);
  if (!parsed.success) throw invalidInput('after', 'not a cursor of this list');
  return parsed.data;
}

/** Members are listed by (joinedAt, userId); a cursor is that key. */
export const MemberCursor = z.strictObject({
  joinedAt: z.number().int().nonnegative(),
  userId: z.string().min(1).max(100),
});

export const memberCursorOf = (member: MemberRecord) => encodeCursor({ joinedAt: member.joinedAt, userId: member.user.id });

/** Directory groups are listed by (createdAt, id); a cursor is that key. */
export const DirectoryGroupCursor = z.strictObject({
  createdAt: z.number().int().nonnegative(),
  id: z.string().min(1).max(100),
});

export const directoryGroupCursorOf = (group: { createdAt: number; id: string }) => encodeCursor({ createdAt: group.createdAt, id: group.id });

/** Sessions are listed by (createdAt, id); a cursor is that key. */
export const SessionCursor = z.strictObject({
  createdAt: z.number().int().nonnegative(),
  id: z.string().min(1).max(100),
});

export const sessionCursorOf = (session: SessionRecord) => encodeCursor({ createdAt: session.createdAt, id: session.id });

/** An event cursor is its feed position: (transaction id, sequence number). */
export const EventCursor = z.strictObject({
  tx: z.string().regex(/^\d{1,20}$/),
  seq: z.number().int().nonnegative(),
});

export const eventCursorOf = (event: EventRecord) => encodeCursor({ ...event.position });
