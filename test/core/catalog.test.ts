import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addedErrorCodes, errorCatalog, errorCodes } from '../../src/errors/catalog.ts';

const shared = JSON.parse(readFileSync(new URL('../../../shared/errors.json', import.meta.url), 'utf8')) as {
  errors: Array<{ code: string; status: number; message: string }>;
};

describe('error catalog', () => {
  it('holds every documented code with its exact status and message, in order', () => {
    const documented = errorCodes
      .filter((code) => !addedErrorCodes.includes(code))
      .map((code) => ({ code, status: errorCatalog[code].status, message: errorCatalog[code].message }));
    expect(documented).toEqual(shared.errors);
  });

  it('adds only the codes listed as additions', () => {
    const documentedCodes = new Set(shared.errors.map((e) => e.code));
    expect(errorCodes.filter((code) => !documentedCodes.has(code))).toEqual([...addedErrorCodes]);
  });

  it('lists each addition of API.md §9 with its exact status and message', () => {
    expect(addedErrorCodes).toEqual(['TooManyRequests', 'IdempotencyKeyReused', 'IdempotencyKeyInUse', 'WebhookEndpointInvalid', 'SignInNotAllowed', 'ServiceUnavailable', 'MemberSuspended']);
    expect(errorCatalog.TooManyRequests).toEqual({ status: 429, message: 'Too many requests, please try again later.' });
    expect(errorCatalog.IdempotencyKeyReused).toEqual({
      status: 422,
      message: 'This idempotency key was already used for a different request.',
    });
    expect(errorCatalog.IdempotencyKeyInUse).toEqual({ status: 409, message: 'A request with this idempotency key is still in progress.' });
    expect(errorCatalog.WebhookEndpointInvalid).toEqual({ status: 400, message: 'The webhook endpoint URL is not allowed.' });
    expect(errorCatalog.SignInNotAllowed).toEqual({
      status: 403,
      message: 'Signing in this user with an api token is not allowed for this group.',
    });
    expect(errorCatalog.ServiceUnavailable).toEqual({ status: 503, message: 'The service is temporarily unavailable, please try again later.' });
    expect(errorCatalog.MemberSuspended).toEqual({ status: 403, message: 'This member is suspended in this group.' });
  });
});
