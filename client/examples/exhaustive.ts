/**
 * Creates a user and says what came of it, handling every member of CreateUserResult.
 * `assertNever` in the default branch makes the compiler prove that the switch is
 * exhaustive: when a release adds a member to the union and the client is
 * regenerated, this stops compiling until the new member is handled.
 *
 *   TEAM_API_URL=http://localhost:4000/graphql TEAM_API_TOKEN=tapi_… \
 *     npx tsx client/examples/exhaustive.ts ada@example.com ada-lovelace
 *
 * test/client/types.test.ts compiles it with `tsc --strict`, and checks that the
 * same program with one case left out does not compile.
 */
import { assertNever, type CreateUserResult, TeamApiClient, TeamApiError } from '@team-api/client';

export function describeCreateUser(result: CreateUserResult): string {
  switch (result.__typename) {
    case 'CreateUserSuccess':
      return `created ${result.user.username} (${result.user.id})`;
    case 'InvalidInput':
      return `the ${result.field ?? 'input'} is invalid: ${result.message}`;
    case 'InvalidEmailDomain':
      return `this group does not take that email's domain: ${result.message}`;
    case 'InvalidUsername':
    case 'OutOfRangeUsername':
    case 'OutOfRangeSuggestedUsername':
      return `pick another username: ${result.message}`;
    case 'UsernameAlreadyExists':
      return 'the username is taken';
    case 'EmailAlreadyExists':
      return 'someone already has this email';
    case 'FailedToCreateUser':
      return `nothing was written, try again later (${result.status})`;
    default:
      return assertNever(result);
  }
}

async function main(): Promise<void> {
  const [email, username] = process.argv.slice(2);
  const url = process.env.TEAM_API_URL ?? 'http://localhost:4000/graphql';
  const apiToken = process.env.TEAM_API_TOKEN;
  if (!email || !apiToken) {
    console.error('usage: TEAM_API_TOKEN=tapi_… tsx client/examples/exhaustive.ts <email> [username]');
    process.exitCode = 2;
    return;
  }
  const client = new TeamApiClient({ url, apiToken });
  try {
    console.log(describeCreateUser(await client.createUser({ email, username })));
  } catch (error) {
    if (!(error instanceof TeamApiError)) throw error;
    console.error(`refused: ${error.code} (${error.status}) ${error.detail}; request id ${error.requestId}`);
    process.exitCode = 1;
  }
}

await main();
