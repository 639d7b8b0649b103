/** Builds every service over one store and config. */
import { ApiTokenService } from './api-tokens.ts';
import type { ServiceDeps } from './deps.ts';
import { EventService } from './events.ts';
import { IdempotencyService } from './idempotency.ts';
import { GroupService } from './groups.ts';
import { MemberService } from './members.ts';
import { ScimService } from './scim.ts';
import { SessionService } from './sessions.ts';
import { SignInService } from './sign-in.ts';
import { SsoTokenService } from './sso-tokens.ts';
import { UserService } from './users.ts';
import { WebhookService } from './webhooks.ts';

export function createServices(deps: ServiceDeps) {
  const members = new MemberService(deps);
  const ssoTokens = new SsoTokenService(deps);
  return {
    groups: new GroupService(deps),
    apiTokens: new ApiTokenService(deps),
    users: new UserService(deps),
    members,
    ssoTokens,
    signIn: new SignInService(deps, members, ssoTokens),
    sessions: new SessionService(deps),
    events: new EventService(deps),
    idempotency: new IdempotencyService(deps),
    webhooks: new WebhookService(deps),
    scim: new ScimService(deps, members),
  };
}

export type Services = ReturnType<typeof createServices>;
