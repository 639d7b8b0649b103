/**
 * The client's generated types follow schema.graphql and the documents: the
 * committed ones are what codegen makes now, and a change to either makes them
 * stale. A member added to a result union in the schema, once generated, stops
 * the example's exhaustive switch from compiling: what a client developer sees
 * when a release adds one.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clientRoot, generatedFiles, staleFiles } from '../../client/scripts/generated-files.ts';
import { compileVariant, scratchDir } from './compile-example.ts';

const GENERATED = 'src/generated/graphql.ts';
const UNION = 'union CreateUserResult = CreateUserSuccess | ';

const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** schema.graphql with TooManyRequests (an Error type) added to CreateUserResult. */
function schemaWithAnotherMember(dir: string): string {
  const schema = readFileSync(join(clientRoot, '../schema.graphql'), 'utf8');
  expect(schema).toContain(UNION);
  const path = join(dir, 'schema.graphql');
  writeFileSync(path, schema.replace(UNION, `${UNION}TooManyRequests | `));
  return path;
}

describe('generated types', () => {
  it('are what codegen makes of schema.graphql and the documents now', async () => {
    expect(await staleFiles()).toEqual([]);
  });

  it('are stale once a document changes', async () => {
    const dir = scratchDir('client-documents-');
    scratch.push(dir);
    cpSync(join(clientRoot, 'src/operations'), dir, { recursive: true });
    const document = join(dir, 'user.graphql');
    writeFileSync(document, readFileSync(document, 'utf8').replace(/\n\s*\.\.\. on User \{\n\s*\.\.\.UserFields\n\s*\}/, ''));
    expect(readFileSync(document, 'utf8')).not.toContain('... on User');
    expect(await staleFiles({ documents: join(dir, '*.graphql') })).toEqual([GENERATED]);
  });

  it('are stale once a result union gains a member, and then the exhaustive switch no longer compiles', async () => {
    const dir = scratchDir('client-evolved-');
    scratch.push(dir);
    const schema = schemaWithAnotherMember(dir);
    expect(await staleFiles({ schema })).toEqual([GENERATED]);

    // The client regenerated against that schema, and the example compiled against it.
    const [generated] = await generatedFiles({ schema });
    expect(generated!.content).toContain(`__typename: 'TooManyRequests'`);
    cpSync(join(clientRoot, 'src'), join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, GENERATED), generated!.content);
    const program = join(dir, 'program');
    mkdirSync(program);
    const { code, output } = await compileVariant({ dir: program, clientIndex: join(dir, 'src/index.ts') });
    expect(code).not.toBe(0);
    expect(output).toMatch(/exhaustive\.ts\(\d+,\d+\): error TS2345: Argument of type '\{ __typename: "TooManyRequests";[^']*' is not assignable to parameter of type 'never'/);
  });
});
