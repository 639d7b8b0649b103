/** The Error interface, the ErrorCode enum and one object type per catalog code. */
import type { GenericFieldRef } from '@pothos/core';
import { type ErrorCode, errorCatalog, errorCodes, errorTypeName } from '../../errors/catalog.ts';
import { type DomainError, Errors } from '../../errors/domain-error.ts';
import { builder } from '../builder.ts';

export const ErrorCodeEnum = builder.enumType('ErrorCode', {
  description: 'Every code the API answers with; each has a fixed status and message.',
  values: Object.fromEntries(
    errorCodes.map((code) => [code, { value: code, description: `${errorCatalog[code].status}: ${errorCatalog[code].message}` }]),
  ) as Record<ErrorCode, { value: ErrorCode; description: string }>,
});

export const ErrorInterface = builder.interfaceRef<DomainError>('Error').implement({
  description: 'The error envelope: the same status, message and code as the REST `error` body.',
  fields: (t) => ({
    status: t.exposeInt('status', { description: 'The HTTP status this error has over REST.' }),
    message: t.exposeString('message'),
    code: t.expose('code', { type: ErrorCodeEnum }),
  }),
});

for (const code of errorCodes) {
  const ErrorClass = Errors[code];
  builder.objectType(ErrorClass, {
    name: errorTypeName(code),
    description: errorCatalog[code].message,
    interfaces: [ErrorInterface],
    isTypeOf: (value) => value instanceof ErrorClass,
    fields: (t): Record<string, GenericFieldRef> =>
      code === 'InvalidInput'
        ? { field: t.exposeString('field', { nullable: true, description: 'The input that failed, e.g. "email".' }) }
        : code === 'WebhookEndpointInvalid'
          ? {
              detail: t.exposeString('reason', {
                nullable: true,
                description: 'Why the URL is refused, e.g. that it resolves to a non-public address, or that the group has reached its limit of endpoints.',
              }),
            }
          : {},
  });
}

/** A field's `errors` option: its result is a success or one of these refusals, a union named `name`. */
export function resultUnion(name: string, refusals: readonly ErrorCode[]) {
  return { types: refusals.map((code) => Errors[code]), directResult: true, union: { name } };
}
