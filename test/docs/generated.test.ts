/** The tables the docs hold that come from the code (scripts/docs.ts): equal to it, and complete. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generated } from '../../scripts/docs.ts';
import { configVariables } from '../../src/config/documentation.ts';

describe('the generated tables', () => {
  it('are what the code says (the README error table from the catalog, docs/configuration.md from the config schema)', () => {
    for (const { path, update } of generated) {
      const text = readFileSync(path, 'utf8');
      expect(update(text), `${path}: run npm run -s docs:generate`).toBe(text);
    }
  });

  it('describe every configuration variable, with its default', () => {
    for (const variable of configVariables) {
      expect(variable.description, variable.name).not.toBe('');
      expect(variable.default, variable.name).not.toBe('');
    }
  });
});
