/**
 * SCIM 2.0 (API.md §18, RFC 7644): another transport over the same services, a
 * route table on the one pipeline. The group is the API token's; answers are
 * `application/scim+json`; refusals are SCIM error bodies carrying the catalog's
 * message, with its code in the `Team-Api-Error-Code` header.
 */
import type { GroupRecord, ScimMemberQuery, ScimMemberRecord } from '../../db/store.ts';
import type { Caller } from '../../domain/events.ts';
import { type Exchange, type Reply, reply } from '../../requests/exchange.ts';
import type { RequestContext } from '../../requests/request-context.ts';
import { scimWritePolicy } from '../../requests/write-policies.ts';
import { runWrite, writeValue } from '../../requests/write-runner.ts';
import { listResponse, MAX_RESULTS, resourceTypeById, resourceTypes, schemaById, schemas, serviceProviderConfig } from './discovery.ts';
import type { ResourceKind, ScimGroupDocument, ScimUserDocument } from './documents.ts';
import { projectAttributes } from './attributes.ts';
import { parseFilter, type ScimFilter } from './filter.ts';
import { groupDocument, groupEtag, groupInput, patchGroupChanges } from './groups.ts';
import { patchUser, readPatchOperations } from './patch.ts';
import { ScimProblem } from './problem.ts';
import { readBody, scimReply } from './replies.ts';
import { userDocument, userInput } from './users.ts';

export const SCIM_PREFIX = '/scim/v2';
/** Members read per query while a filter no index serves is tested against every member. */
const SCAN_PAGE = 1000;

type Handler = (request: ScimRequest) => Promise<Reply>;

interface ScimRequest {
  exchange: Exchange;
  ctx: RequestContext;
  /** The path segment after the resource (`/Users/{id}`); null for the collection. */
  id: string | null;
  query: URLSearchParams;
  base: string;
}

interface Endpoint {
  /** Handlers of the collection and of one resource, by method. */
  collection: Partial<Record<string, Handler>>;
  resource: Partial<Record<string, Handler>>;
}

const endpoints: Record<string, Endpoint> = {
  users: {
    collection: { GET: listUsers, POST: createUser },
    resource: { GET: getUser, PUT: replaceUser, PATCH: patchUserRoute, DELETE: deleteUser },
  },
  groups: {
    collection: { GET: listGroups, POST: createGroup },
    resource: { GET: getGroup, PUT: replaceGroup, PATCH: patchGroup, DELETE: deleteGroup },
  },
  serviceproviderconfig: { collection: { GET: async ({ base }) => scimReply(serviceProviderConfig(base)) }, resource: {} },
  resourcetypes: {
    collection: { GET: async ({ base }) => scimReply(listDiscovery(resourceTypes(base))) },
    resource: { GET: async ({ base, id }) => found(resourceTypeById(base, id!)) },
  },
  schemas: {
    collection: { GET: async ({ base }) => scimReply(listDiscovery(schemas(base))) },
    resource: { GET: async ({ base, id }) => found(schemaById(base, id!)) },
  },
};
// Microsoft's reference server names it so, and its test collection asks for it.
endpoints.serviceconfiguration = endpoints.serviceproviderconfig!;

const listDiscovery = <T>(resources: T[]) => listResponse(resources, resources.length, 1);

function found(document: object | null): Reply {
  if (!document) throw new ScimProblem(null, 'There is no such discovery resource.', 'id', 404);
  return scimReply(document);
}

/** The endpoint and id of a path under /scim/v2 (endpoint names in any letter case, a trailing slash allowed). */
function routeOf(pathname: string): { endpoint: Endpoint; name: string; id: string | null } | null {
  const [name = '', id, extra] = pathname.slice(SCIM_PREFIX.length + 1).split('/');
  const endpoint = Object.hasOwn(endpoints, name.toLowerCase()) ? endpoints[name.toLowerCase()] : undefined;
  if (!endpoint || extra !== undefined) return null;
  return { endpoint, name: name.toLowerCase(), id: id ? decodeURIComponent(id) : null };
}

/** The metrics label: a fixed set, whatever paths clients make up. */
export function scimRouteLabel(pathname: string): string {
  const route = routeOf(pathname);
  if (!route) return `${SCIM_PREFIX}/*`;
  return `${SCIM_PREFIX}/${route.name}${route.id === null ? '' : '/{id}'}`;
}

export async function handleScimRequest(exchange: Exchange, ctx: RequestContext): Promise<Reply> {
  const route = routeOf(exchange.pathname);
  if (!route) throw new ScimProblem(null, 'There is no SCIM endpoint at this path.', 'path', 404);
  const handlers = route.id === null ? route.endpoint.collection : route.endpoint.resource;
  const method = exchange.method === 'HEAD' ? 'GET' : exchange.method;
  const handle = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
  // Every SCIM endpoint is the group's: the token before the method, so a stranger learns no more than the paths.
  await ctx.requireApiToken();
  if (!handle) throw new ScimProblem(null, `This endpoint does not take ${exchange.method}.`, 'method', 405);
  const query = new URLSearchParams(exchange.target.includes('?') ? exchange.target.slice(exchange.target.indexOf('?')) : '');
  const base = `${ctx.config.publicUrl.origin}${SCIM_PREFIX}`;
  return handle({ exchange, ctx, id: route.id, query, base });
}

/** A single resource: its ETag (and Location when created) in the headers, its attributes as asked. */
function resourceReply(request: ScimRequest, kind: ResourceKind, document: ScimUserDocument | ScimGroupDocument, status = 200): Reply {
  const headers: Record<string, string> = { etag: document.meta.version };
  if (status === 201) headers.location = document.meta.location;
  return scimReply(project(request, kind, document), status, headers);
}

function project(request: ScimRequest, kind: ResourceKind, document: ScimUserDocument | ScimGroupDocument) {
  return projectAttributes(document, kind, request.query.get('attributes'), request.query.get('excludedAttributes'));
}

/** A write under the SCIM policy (the API token, the write limit); its events say `via: "scim"`. */
async function scimWrite<T>(request: ScimRequest, body: unknown, write: (group: GroupRecord, caller: Caller) => Promise<T>): Promise<T> {
  const { exchange, ctx } = request;
  const route = `${exchange.method} ${scimRouteLabel(exchange.pathname)}`;
  return writeValue(
    runWrite(scimWritePolicy, ctx, { route, body, field: route }, ({ group, caller }) => write(group, { ...caller, via: 'scim' })),
  );
}

/** Refuses a write whose `If-Match` names another version (RFC 7644 §3.14). */
function checkIfMatch(request: ScimRequest, version: string): void {
  const wanted = request.exchange.headers.get('if-match');
  if (wanted === null || wanted.trim() === '*') return;
  const strip = (tag: string) => tag.trim().replace(/^W\//, '');
  if (!wanted.split(',').some((tag) => strip(tag) === strip(version))) {
    throw new ScimProblem(null, 'The resource changed since the version If-Match names.', 'If-Match', 412);
  }
}

/** startIndex (1-based, below 1 counts as 1) and count (at most 200, the default). */
function pageOf(query: URLSearchParams): { startIndex: number; count: number } {
  const integer = (name: string, fallback: number) => {
    const raw = query.get(name);
    if (raw === null || raw === '') return fallback;
    if (!/^-?\d{1,10}$/.test(raw.trim())) throw new ScimProblem('invalidValue', `${name} must be an integer`, name);
    return Number(raw);
  };
  return { startIndex: Math.max(1, integer('startIndex', 1)), count: Math.min(MAX_RESULTS, Math.max(0, integer('count', MAX_RESULTS))) };
}

function filterOf(query: URLSearchParams, kind: ResourceKind): ScimFilter | null {
  const text = query.get('filter');
  return text === null ? null : parseFilter(text, kind);
}

/** Collects a page of the documents that match, counting them all. */
class Page<T> {
  total = 0;
  readonly items: T[] = [];
  constructor(private readonly from: number, private readonly count: number) {}
  offer(item: T): void {
    if (this.total >= this.from && this.items.length < this.count) this.items.push(item);
    this.total++;
  }
}

async function listUsers(request: ScimRequest): Promise<Reply> {
  const { group } = await request.ctx.requireApiToken();
  const { scim } = request.ctx.services;
  const { startIndex, count } = pageOf(request.query);
  const filter = filterOf(request.query, 'User');
  if (!filter) {
    const [total, members] = await Promise.all([
      scim.countMembers(group),
      count === 0 ? [] : scim.members(group, { after: null, limit: count, offset: startIndex - 1 }),
    ]);
    return scimReply(listResponse(members.map((m) => project(request, 'User', userDocument(m, request.base))), total, startIndex));
  }
  const page = new Page<object>(startIndex - 1, count);
  const test = (members: ScimMemberRecord[]) => {
    for (const member of members) {
      const document = userDocument(member, request.base);
      if (filter.matches(document)) page.offer(project(request, 'User', document));
    }
  };
  const lookup = indexedUserQuery(filter);
  if (lookup) test(await scim.members(group, lookup));
  else {
    // No index serves this filter: every member is tested, a page of them at a time.
    for (let after: ScimMemberQuery & { after: unknown } = { after: null, limit: SCAN_PAGE }; ; ) {
      const members = await scim.members(group, after);
      test(members);
      if (members.length < SCAN_PAGE) break;
      const last = members.at(-1)!;
      after = { after: { joinedAt: last.joinedAt, userId: last.user.id }, limit: SCAN_PAGE };
    }
  }
  return scimReply(listResponse(page.items, page.total, startIndex));
}

/** The index lookup that finds every member the filter can match, if one does. */
function indexedUserQuery(filter: ScimFilter): ScimMemberQuery | null {
  const { indexed } = filter;
  if (!indexed) return null;
  switch (indexed.attribute) {
    case 'userName':
      return { userNameKey: indexed.value.toLowerCase() };
    case 'externalId':
      return { externalId: indexed.value };
    case 'id':
      return { userIds: [indexed.value] };
    case 'emails':
      return { emailKey: indexed.value.toLowerCase() };
    default:
      return null;
  }
}

async function getUser(request: ScimRequest): Promise<Reply> {
  const { group } = await request.ctx.requireApiToken();
  return resourceReply(request, 'User', userDocument(await request.ctx.services.scim.member(group, request.id!), request.base));
}

async function createUser(request: ScimRequest): Promise<Reply> {
  const body = await readBody(request.exchange);
  const input = userInput(body);
  const member = await scimWrite(request, body, (group, caller) => request.ctx.services.scim.createUser(group, input, caller));
  return resourceReply(request, 'User', userDocument(member, request.base), 201);
}

async function replaceUser(request: ScimRequest): Promise<Reply> {
  const body = await readBody(request.exchange);
  const input = userInput(body);
  const member = await scimWrite(request, body, (group, caller) =>
    request.ctx.services.scim.replaceUser(
      group,
      request.id!,
      (current) => {
        checkIfMatch(request, userDocument(current, request.base).meta.version);
        return input;
      },
      caller,
    ),
  );
  return resourceReply(request, 'User', userDocument(member, request.base));
}

async function patchUserRoute(request: ScimRequest): Promise<Reply> {
  const body = await readBody(request.exchange);
  const operations = readPatchOperations(body);
  const member = await scimWrite(request, body, (group, caller) =>
    request.ctx.services.scim.replaceUser(
      group,
      request.id!,
      (current) => {
        // The operations apply to the member as the transaction reads it: all of them, or none.
        const { meta, ...document } = userDocument(current, request.base);
        checkIfMatch(request, meta.version);
        return userInput(patchUser(document, operations));
      },
      caller,
    ),
  );
  return resourceReply(request, 'User', userDocument(member, request.base));
}

async function deleteUser(request: ScimRequest): Promise<Reply> {
  await scimWrite(request, null, async (group, caller) => {
    const { scim } = request.ctx.services;
    checkIfMatch(request, userDocument(await scim.member(group, request.id!), request.base).meta.version);
    await scim.deleteUser(group, request.id!, caller);
  });
  return reply(204, null);
}

/** Whether the answer leaves out a group's members (`excludedAttributes=members`, or `attributes` without them). */
function membersWanted(request: ScimRequest): boolean {
  const names = (param: string) => (request.query.get(param) ?? '').toLowerCase().split(',').map((n) => n.trim());
  if (names('excludedAttributes').some((n) => n === 'members' || n.endsWith(':members'))) return false;
  const attributes = request.query.get('attributes');
  return attributes === null || names('attributes').some((n) => n.startsWith('members') || n.includes(':members'));
}

async function groupReply(request: ScimRequest, group: GroupRecord, record: Parameters<typeof groupDocument>[0], status = 200) {
  const memberIds = membersWanted(request) ? await request.ctx.services.scim.directoryGroupMemberIds(record) : null;
  return resourceReply(request, 'Group', groupDocument(record, memberIds, request.base), status);
}

async function listGroups(request: ScimRequest): Promise<Reply> {
  const { group } = await request.ctx.requireApiToken();
  const { scim } = request.ctx.services;
  const { startIndex, count } = pageOf(request.query);
  const filter = filterOf(request.query, 'Group');
  const withMembers = membersWanted(request) || (request.query.get('filter') ?? '').toLowerCase().includes('members');
  const page = new Page<object>(startIndex - 1, count);
  const indexed = filter?.indexed;
  const query =
    indexed?.attribute === 'displayName'
      ? { displayNameKey: indexed.value.toLowerCase() }
      : indexed?.attribute === 'externalId'
        ? { externalId: indexed.value }
        : indexed?.attribute === 'id'
          ? { ids: [indexed.value] }
          : null;
  // Directory groups are few next to members: without an index they are read whole.
  const records = await scim.directoryGroups(group, query ?? { after: null, limit: Number.MAX_SAFE_INTEGER });
  for (const record of records) {
    const memberIds = withMembers ? await scim.directoryGroupMemberIds(record) : null;
    const document = groupDocument(record, memberIds, request.base);
    if (!filter || filter.matches(document)) page.offer(document);
  }
  const shown = page.items.map((document) => project(request, 'Group', document as ScimGroupDocument));
  return scimReply(listResponse(shown, page.total, startIndex));
}

async function getGroup(request: ScimRequest): Promise<Reply> {
  const { group } = await request.ctx.requireApiToken();
  return groupReply(request, group, await request.ctx.services.scim.directoryGroup(group, request.id!));
}

async function createGroup(request: ScimRequest): Promise<Reply> {
  const body = await readBody(request.exchange);
  const edit = groupInput(body);
  const { group, record } = await scimWrite(request, body, async (group, caller) => ({
    group,
    record: await request.ctx.services.scim.saveDirectoryGroup(group, null, edit, caller),
  }));
  return groupReply(request, group, record, 201);
}

async function replaceGroup(request: ScimRequest): Promise<Reply> {
  const body = await readBody(request.exchange);
  return saveGroup(request, body, groupInput(body));
}

async function patchGroup(request: ScimRequest): Promise<Reply> {
  const body = await readBody(request.exchange);
  return saveGroup(request, body, patchGroupChanges(readPatchOperations(body)));
}

async function saveGroup(request: ScimRequest, body: unknown, edit: Parameters<RequestContext['services']['scim']['saveDirectoryGroup']>[2]) {
  const { group, record } = await scimWrite(request, body, async (group, caller) => ({
    group,
    record: await request.ctx.services.scim.saveDirectoryGroup(group, request.id!, edit, caller, (current) =>
      checkIfMatch(request, groupEtag(current)),
    ),
  }));
  return groupReply(request, group, record);
}

async function deleteGroup(request: ScimRequest): Promise<Reply> {
  await scimWrite(request, null, async (group, caller) => {
    const { scim } = request.ctx.services;
    checkIfMatch(request, groupEtag(await scim.directoryGroup(group, request.id!)));
    await scim.deleteDirectoryGroup(group, request.id!, caller);
  });
  return reply(204, null);
}
