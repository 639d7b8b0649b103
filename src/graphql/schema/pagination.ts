/** Paging: PageInfo, connection types and the default page size (the cursors are src/domain/cursors.ts). */
import type { ObjectRef } from '@pothos/core';
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

interface Edge<T> {
  cursor: string;
  node: T;
}

/** `${name}Connection`: its edges (`${name}Edge`, a cursor and a node of `nodeType`) and PageInfo. */
export function connectionType<T>(name: string, nodeType: ObjectRef<typeof builder.$inferSchemaTypes, T>) {
  const EdgeType = builder.objectRef<Edge<T>>(`${name}Edge`).implement({
    fields: (t) => ({
      cursor: t.exposeString('cursor'),
      node: t.expose('node', { type: nodeType }),
    }),
  });
  return builder.objectRef<{ edges: Edge<T>[]; pageInfo: PageInfoShape }>(`${name}Connection`).implement({
    fields: (t) => ({
      edges: t.field({ type: [EdgeType], resolve: (c) => c.edges }),
      pageInfo: t.field({ type: PageInfoType, resolve: (c) => c.pageInfo }),
    }),
  });
}
