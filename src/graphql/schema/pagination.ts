/** Paging: PageInfo and the default page size (the cursors are src/domain/cursors.ts). */
import { builder } from '../builder.ts';

export const DEFAULT_PAGE_SIZE = 20;

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
