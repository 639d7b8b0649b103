/**
 * Baseline: the floor of `POST /-/api/ssotoken/create`, as `npm run bench` starts it
 * (dist/bench/baselines/rest-floor.js, the route at `/`). It is floors.ts's `/rest`:
 * the route's essential work written straight onto node:http and better-sqlite3, with
 * nothing else: read the JSON body, digest the bearer token and look it up with its
 * group, look up the member, sign an HS256 token with the server's claims, commit the
 * `sso_token.created` event the route commits (synchronous=FULL, in a group commit),
 * answer the route's JSON. It also serves floors.ts's other paths. It reads and writes
 * the server's seeded database (DATABASE_URL, SQLite only).
 */
import { serveFloors } from './floors.ts';

serveFloors({ restAtRoot: true });
