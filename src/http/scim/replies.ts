/**
 * How SCIM answers (API.md §18): `application/scim+json` bodies, and refusals in the
 * SCIM error schema (RFC 7644 §3.12) with the catalog's message in `detail` and its
 * code in a header.
 */
import { envelopeOf } from '../../errors/catalog.ts';
import type { DomainError } from '../../errors/domain-error.ts';
import type { RequestTrace } from '../../observability/request-trace.ts';
import { type Exchange, type Reply, reply } from '../../requests/exchange.ts';
import { mediaTypeOf } from '../../requests/media-type.ts';
import { answerableError } from '../error-responses.ts';
import { SCHEMA } from './documents.ts';
import { ScimProblem } from './problem.ts';

/** The header that names the catalog code of a SCIM refusal (the body has no place for it). */
export const ERROR_CODE_HEADER = 'team-api-error-code';
const SCIM_TYPE = 'application/scim+json; charset=utf-8';

/** A SCIM refusal (RFC 7644 §3.12): only the keys the RFC has, as strict clients refuse others. */
export function scimErrorReply(error: unknown, trace: RequestTrace): Reply {
  const uncataloged = error instanceof ScimProblem && !error.cataloged;
  const refusal: DomainError = uncataloged ? error : answerableError(error, trace);
  const cataloged = uncataloged ? null : envelopeOf(refusal.code);
  const status = refusal.field === 'body' && refusal.headers.connection === 'close' ? 413 : refusal.code === 'InvalidApiToken' ? 401 : refusal.status;
  const scimType = scimTypeOf(refusal);
  const body = {
    schemas: [SCHEMA.error],
    status: String(status),
    ...(scimType ? { scimType } : {}),
    detail: cataloged ? cataloged.message : refusal.reason,
  };
  if (uncataloged) trace.noteErrorCode(`scim:${status}`);
  const headers: Record<string, string> = { ...refusal.headers, 'content-type': SCIM_TYPE, 'cache-control': 'no-store' };
  if (cataloged) headers[ERROR_CODE_HEADER] = cataloged.code;
  // RFC 6750 §3: a refused bearer token says which scheme the resource takes.
  if (status === 401) headers['www-authenticate'] = 'Bearer realm="scim"';
  return reply(status, JSON.stringify(body), headers);
}

function scimTypeOf(error: DomainError): string | null {
  if (error instanceof ScimProblem) return error.scimType;
  if (error.code === 'UsernameAlreadyExists' || error.code === 'EmailAlreadyExists') return 'uniqueness';
  if (error.code === 'InvalidInput') return error.field === 'body' ? (error.headers.connection === 'close' ? null : 'invalidSyntax') : 'invalidValue';
  if (error.code === 'InvalidEmailDomain') return 'invalidValue';
  return null;
}

export function scimReply(document: object, status = 200, headers: Record<string, string> = {}): Reply {
  return reply(status, JSON.stringify(document), { 'content-type': SCIM_TYPE, 'cache-control': 'no-store', ...headers });
}

/** The JSON body of a write: `application/scim+json` or `application/json`, an object. */
export async function readBody(exchange: Exchange): Promise<unknown> {
  const type = mediaTypeOf(exchange.headers);
  if (type !== 'application/scim+json' && type !== 'application/json') {
    throw new ScimProblem('invalidSyntax', 'the body must be application/scim+json or application/json', 'body');
  }
  try {
    return JSON.parse(await exchange.text());
  } catch (error) {
    if (error instanceof SyntaxError) throw new ScimProblem('invalidSyntax', 'the body is not valid JSON', 'body');
    throw error;
  }
}
