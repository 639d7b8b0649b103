/**
 * The error catalog: every code the API can answer with, its HTTP status and its
 * message. Union members, the transport envelope, REST bodies and the README table
 * all read from here; a test proves the documented part equals ../shared/errors.json.
 */
export const errorCatalog = {
  InternalError: { status: 500, message: 'The server encountered an internal error.' },
  InvalidRequestDomain: { status: 400, message: 'Request is invalid' },
  GroupNotFound: { status: 403, message: 'The group of the given api token does not exist.' },
  ApiIsDisabled: { status: 403, message: 'Api usage for this group is disabled.' },
  InvalidApiToken: { status: 400, message: 'Api token is invalid.' },
  UnauthorizedRequest: { status: 401, message: 'The request is unauthorized, an api token is required.' },
  InvalidInput: { status: 400, message: 'One of the request inputs is invalid.' },
  FailedToCreateUser: { status: 500, message: 'An error occurred, failed to create user.' },
  failedToCreateSession: { status: 500, message: 'An error occurred, failed to create user session. User may not be logged in.' },
  UsernameAlreadyExists: { status: 409, message: 'This username is already in use, please try another one.' },
  EmailAlreadyExists: { status: 409, message: 'This email is already in use, please try another one.' },
  InvalidEmailDomain: { status: 400, message: 'This email domain is not in allowed domains for this group.' },
  InvalidUsername: { status: 400, message: 'Given username is invalid.' },
  NotGroupMember: { status: 400, message: 'User is not a member of the api token group.' },
  SSOTokenFailedToParse: { status: 400, message: 'The sso token in request could not be parsed.' },
  InvalidSSOTokenPayload: { status: 400, message: 'One of the required fields in payload is invalid' },
  MissingRequiredQueryParameter: { status: 400, message: 'A required query parameter was not specified for this request.' },
  OutOfRangeUsername: { status: 400, message: 'Given username is out of range.' },
  OutOfRangeSuggestedUsername: { status: 400, message: 'Given suggested username is out of range.' },
  // Additions (API.md §9).
  TooManyRequests: { status: 429, message: 'Too many requests, please try again later.' },
  IdempotencyKeyReused: { status: 422, message: 'This idempotency key was already used for a different request.' },
  IdempotencyKeyInUse: { status: 409, message: 'A request with this idempotency key is still in progress.' },
  WebhookEndpointInvalid: { status: 400, message: 'The webhook endpoint URL is not allowed.' },
  // API.md §17.
  SignInNotAllowed: { status: 403, message: 'Signing in this user with an api token is not allowed for this group.' },
  // API.md §17: the database cannot be reached or cannot write; transport-level, with Retry-After.
  ServiceUnavailable: { status: 503, message: 'The service is temporarily unavailable, please try again later.' },
  // API.md §18: a member SCIM suspended (`active: false`) may not sign in.
  MemberSuspended: { status: 403, message: 'This member is suspended in this group.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalog;

export const errorCodes = Object.keys(errorCatalog) as ErrorCode[];

/** Codes added to the original catalog (API.md §9, §17, §18); the documented 19 never change. */
export const addedErrorCodes: readonly ErrorCode[] = [
  'TooManyRequests',
  'IdempotencyKeyReused',
  'IdempotencyKeyInUse',
  'WebhookEndpointInvalid',
  'SignInNotAllowed',
  'ServiceUnavailable',
  'MemberSuspended',
];

export interface ErrorEnvelope {
  status: number;
  message: string;
  code: ErrorCode;
}

export function envelopeOf(code: ErrorCode): ErrorEnvelope {
  const { status, message } = errorCatalog[code];
  return { status, message, code };
}

/** GraphQL type name of a code: the code with its first letter upper-cased. */
export function errorTypeName(code: ErrorCode): string {
  return code.charAt(0).toUpperCase() + code.slice(1);
}
