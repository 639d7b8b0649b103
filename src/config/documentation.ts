/** What the configuration schema says of each variable, for docs/configuration.md (npm run -s docs:generate). */
import { z } from 'zod';
import { envSchema } from './config.ts';

/**
 * What the schema says of each variable: its description and default, found by
 * walking down through the transforms and refinements that wrap the first ones.
 */
function documentation(schema: z.ZodType) {
  const found: { description?: string; shownDefault?: string; default?: unknown } = {};
  for (let current: any = schema, depth = 0; current && depth < 12; depth++) {
    const meta = z.globalRegistry.get(current) as { description?: string; shownDefault?: string } | undefined;
    found.description ??= meta?.description;
    found.shownDefault ??= meta?.shownDefault;
    const def = current._zod?.def;
    if (def?.type === 'default' && !('default' in found)) {
      found.default = typeof def.defaultValue === 'function' ? def.defaultValue() : def.defaultValue;
    }
    current = def?.in ?? def?.innerType ?? null;
  }
  return found;
}

/** The variables, their defaults and descriptions, for docs/configuration.md and `--help`. */
export const configVariables = Object.entries(envSchema.shape).map(([name, schema]) => {
  const doc = documentation(schema as z.ZodType);
  // The default as the docs write it: the schema's own default, or what the schema says it is.
  const shown = doc.shownDefault ?? ('default' in doc ? `\`${String(doc.default)}\`` : '—');
  return { name, description: doc.description ?? '', default: shown };
});
