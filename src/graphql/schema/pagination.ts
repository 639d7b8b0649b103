/**
 * Paging: PageInfo, and opaque cursors (base64url of the row's sort key as JSON)
 * that are checked against the listing's key shape on the way back in.
 */
import type { z } from 'zod';
import { invalidInput } from '../../errors/domain-error.ts';
import { builder } from '../builder.ts';

export const DEFAULT_PAGE_SIZE = 20;
/** Longer than any cursor this server writes: refused before decoding. */
const CURSOR_MAX_LENGTH = 512;

export interface PageInfoShape {
  hasNextPage: boolean;
  endCursor: string | null;
}

export const PageInfoType = builder.objectRef<PageInfoShape>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.exposeString('endCursor', {
      nullable: true,
      description:
        'Pass as `after` for the next page. Null when the page is empty, except in `events`, which then hands ' +
        'back the `after` it was given, so a feed reader can keep asking with it.',
    }),
  }),
});

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
