/** GraphiQL, served self-contained (no CDN), opening on a createUser that shows its union members. */
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

export const defaultGraphiQLDocument = `# Team API: provision a user into your group.
# Put your API token in the Headers tab: {"Authorization": "Bearer tapi_..."}
mutation CreateUser {
  createUser(input: { email: "ada@example.com", suggestedUsername: "ada-lovelace" }) {
    __typename
    ... on CreateUserSuccess {
      user { id username email createdAt }
    }
    ... on InvalidInput { field }
    ... on Error { status code message }
  }
}
`;

export function graphiqlOptions(apiToken: string | null) {
  return {
    title: 'Team API',
    defaultQuery: defaultGraphiQLDocument,
    headers: JSON.stringify({ Authorization: `Bearer ${apiToken ?? 'tapi_…'}` }, null, 2),
    shouldPersistHeaders: false,
  };
}

export { renderGraphiQL };
