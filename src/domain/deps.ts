import type { Config } from '../config/config.ts';
import type { Store } from '../db/store.ts';

/** What every service is built from. `now` is injectable so tests can move time. */
export interface ServiceDeps {
  config: Config;
  store: Store;
  now: () => number;
  /** HS256 key for SSO tokens (UTF-8 bytes of the secret). */
  ssoKey: Uint8Array;
}
