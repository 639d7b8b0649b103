/**
 * A SCIM request refused (RFC 7644 §3.12): the catalog's InvalidInput (400) with the
 * `scimType` the SCIM error body names (`invalidFilter`, `mutability`, …), or a
 * refusal SCIM has a status for and the catalog no code (404 no such resource,
 * 412 a stale `If-Match`), which answers without one.
 */
import { DomainError } from '../errors/domain-error.ts';

export type ScimType =
  | 'invalidFilter'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'mutability'
  | 'uniqueness'
  | 'tooMany';

export class ScimProblem extends DomainError {
  /** Whether the catalog's code applies (a 400); a 404 or 412 has none. */
  readonly cataloged: boolean;

  constructor(
    readonly scimType: ScimType | null,
    reason: string,
    field?: string,
    status = 400,
  ) {
    super('InvalidInput', { reason, field });
    (this as { status: number }).status = status;
    this.cataloged = status === 400;
  }
}

export const noSuchResource = (kind: 'User' | 'Group') => new ScimProblem(null, `There is no ${kind} with this id in this group.`, 'id', 404);
