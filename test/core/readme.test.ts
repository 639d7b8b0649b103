import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configVariables } from '../../src/config/config.ts';
import { readmePath, withErrorTable } from '../../scripts/readme.ts';

const readme = readFileSync(readmePath, 'utf8');

describe('README', () => {
  it('has the error table of the catalog', () => {
    expect(readme).toBe(withErrorTable(readme));
  });

  it('documents every configuration variable', () => {
    for (const { name } of configVariables) expect(readme, name).toContain(`\`${name}\``);
  });
});
