import { readFileSync } from 'node:fs';
import { type GraphQLUnionType, isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { errorCodes, errorTypeName } from '../../src/errors/catalog.ts';
import { printedSchema, schema } from '../../src/graphql/schema.ts';
import { RESULT_UNION_MEMBERS } from '../support/documents.ts';

const members = (name: string) => (schema.getType(name) as GraphQLUnionType).getTypes().map((t) => t.name).sort();

describe('schema', () => {
  it('matches the committed schema.graphql', () => {
    expect(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8')).toBe(printedSchema());
  });

  it('has one object type per error code implementing Error', () => {
    for (const code of errorCodes) {
      const type = schema.getType(errorTypeName(code));
      expect(isObjectType(type), code).toBe(true);
      if (isObjectType(type)) expect(type.getInterfaces().map((i) => i.name)).toEqual(['Error']);
    }
    expect(schema.getType('FailedToCreateSession')).toBeDefined();
  });

  it('gives each result union exactly the members of API.md', () => {
    for (const [union, expected] of Object.entries(RESULT_UNION_MEMBERS)) expect(members(union), union).toEqual([...expected].sort());
  });
});
