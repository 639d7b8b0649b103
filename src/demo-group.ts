/** The demo group the server seeds on an empty database outside production, so GraphiQL works at once. */
import { SYSTEM_CALLER } from './domain/events.ts';
import type { Runtime } from './runtime.ts';

export const DEMO_GROUP = 'demo';

/**
 * On an empty database outside production: group `demo` with one API token.
 * Returns the token (shown once), or null when nothing was made.
 */
export async function seedDemoGroup({ config, store, services }: Runtime): Promise<string | null> {
  if (config.production || (await store.countGroups()) > 0) return null;
  let group;
  try {
    group = await services.groups.create(DEMO_GROUP, { title: 'Demo group', isApiEnabled: true }, SYSTEM_CALLER);
  } catch (error) {
    // Another instance on the same database, starting at the same moment, seeded it first.
    if (await store.findGroupBySlug(DEMO_GROUP)) return null;
    throw error;
  }
  const { token } = await services.apiTokens.create(group, 'demo', SYSTEM_CALLER);
  return token;
}
