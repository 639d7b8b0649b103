/**
 * The client's result unions are discriminated unions the compiler checks: the
 * example program that handles every CreateUserResult member compiles under
 * `tsc --strict`, and the same program with one case left out does not, the
 * error pointing at `assertNever` with the member that was left out.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileExample, compileVariant, exampleFile } from './compile-example.ts';

const HANDLED = `    case 'EmailAlreadyExists':
      return 'someone already has this email';
`;

describe('exhaustive handling of CreateUserResult', () => {
  it('compiles with every member handled', async () => {
    const { code, output } = await compileExample();
    expect(output).toBe('');
    expect(code).toBe(0);
  });

  it('does not compile with one member left out: assertNever is handed that member', async () => {
    const example = readFileSync(exampleFile, 'utf8');
    expect(example).toContain(HANDLED);
    const { code, output } = await compileVariant({ program: example.replace(HANDLED, '') });
    expect(code).not.toBe(0);
    expect(output).toMatch(/exhaustive\.ts\(\d+,\d+\): error TS2345: Argument of type '\{ __typename: "EmailAlreadyExists";[^']*' is not assignable to parameter of type 'never'/);
    expect(output.trim().split('\n')).toHaveLength(1);
  });
});
