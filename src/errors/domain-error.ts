/**
 * Domain errors: the only errors a service raises on purpose. Each catalog code
 * has its own subclass so GraphQL result unions can list exactly their members;
 * anything that is not a DomainError is unexpected and gets masked.
 */
import { type ErrorCode, errorCatalog, errorCodes } from './catalog.ts';

export interface DomainErrorDetails {
  /** For InvalidInput: the input that failed, e.g. "email". */
  field?: string;
  /** What exactly was wrong; for logs and transport-level messages, never the envelope. */
  reason?: string;
  /** Extra response headers a transport should send (e.g. Retry-After). */
  headers?: Record<string, string>;
  /** The failure underneath (a driver error): logged, never sent. */
  cause?: unknown;
}

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly field: string | null;
  readonly reason: string | null;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, details: DomainErrorDetails = {}) {
    super(errorCatalog[code].message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = errorCatalog[code].status;
    this.field = details.field ?? null;
    this.reason = details.reason ?? null;
    this.headers = details.headers ?? {};
  }
}

export type DomainErrorClass = new (details?: DomainErrorDetails) => DomainError;

function defineErrorClass(code: ErrorCode): DomainErrorClass {
  const cls = class extends DomainError {
    constructor(details?: DomainErrorDetails) {
      super(code, details);
    }
  };
  Object.defineProperty(cls, 'name', { value: code });
  return cls;
}

/** One class per code: `throw new Errors.InvalidUsername()`. */
export const Errors = Object.fromEntries(errorCodes.map((code) => [code, defineErrorClass(code)])) as Record<
  ErrorCode,
  DomainErrorClass
>;

/** A DomainError of the given code (the right subclass, so unions recognise it). */
export function domainError(code: ErrorCode, details?: DomainErrorDetails): DomainError {
  return new Errors[code](details);
}

export function invalidInput(field: string, reason: string): DomainError {
  return new Errors.InvalidInput({ field, reason });
}

export function findDomainError(error: unknown): DomainError | null {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof DomainError) return current;
    current = (current as { originalError?: unknown; cause?: unknown }).originalError ?? (current as { cause?: unknown }).cause;
  }
  return null;
}
