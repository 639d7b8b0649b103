/**
 * The compiled execution skips graphql-js's coercion of the variables when
 * `variablesCoerce` vouches for them: it must never vouch for variables graphql-js
 * would refuse (their errors are the contract's words), and should vouch for the
 * usual ones, or the skip is for nothing.
 */
import { getOperationAST, parse } from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';
import { describe, expect, it } from 'vitest';
import { variablesCoerce } from '../../src/graphql/compiled-execution.ts';
import { schema } from '../../src/graphql/schema.ts';

function definitionsOf(signature: string) {
  return getOperationAST(parse(`query (${signature}) { __typename }`))!.variableDefinitions!;
}

const user = { email: 'a@x.example', username: 'a', firstName: 'A', lastName: null };
const values: unknown[] = [
  undefined,
  null,
  '',
  'text',
  0,
  1,
  -1,
  1.5,
  2 ** 31,
  Number.NaN,
  true,
  false,
  'admin',
  'member',
  'nobody',
  [],
  [null],
  ['text'],
  [1],
  [[]],
  {},
  user,
  { ...user, username: undefined },
  { email: 'a@x.example' },
  { username: 'a' },
  { ...user, email: null },
  { ...user, email: 1 },
  { ...user, nickname: 'x' },
  { ...user, constructor: 'x' },
  JSON.parse('{"email": "a@x.example", "__proto__": "x"}'),
  [user, user],
  [user, null],
  [user, { ...user, email: 2 }],
  [user, 'text'],
  [[user]],
];

const signatures = [
  '$v: [CreateUserInput!]!',
  '$v: [CreateUserInput!]',
  '$v: [CreateUserInput]',
  '$v: CreateUserInput!',
  '$v: CreateUserInput',
  '$v: UpdateGroupInput',
  '$v: MemberRole',
  '$v: MemberRole! = member',
  '$v: String!',
  '$v: String',
  '$v: [String!]',
  '$v: Int',
  '$v: Int!',
  '$v: Float',
  '$v: ID!',
  '$v: Boolean',
  '$v: [[String]]',
];

describe('variablesCoerce', () => {
  it('vouches only for variables graphql-js accepts', () => {
    let vouched = 0;
    for (const signature of signatures) {
      const definitions = definitionsOf(signature);
      for (const value of values) {
        const inputs = value === undefined ? {} : { v: value };
        const accepted = getVariableValues(schema, definitions, inputs).errors === undefined;
        const sure = variablesCoerce(schema, definitions, inputs);
        if (sure) vouched++;
        expect({ signature, value, sure: sure && !accepted }).toEqual({ signature, value, sure: false });
      }
    }
    expect(vouched).toBeGreaterThan(50);
  });

  it('vouches for createUsers’ inputs and createUser’s input', () => {
    const inputs = Array.from({ length: 1000 }, (_, i) => ({ email: `p${i}@x.example`, username: `p-${i}`, firstName: 'P', lastName: null }));
    expect(variablesCoerce(schema, definitionsOf('$inputs: [CreateUserInput!]!'), { inputs })).toBe(true);
    expect(variablesCoerce(schema, definitionsOf('$input: CreateUserInput!'), { input: { email: 'a@x.example', suggestedUsername: 'a' } })).toBe(true);
  });
});
