/** GraphQL documents the tests send, and the result unions of API.md §3, written once. */
export const ERROR_FIELDS = '... on Error { status code message } ... on InvalidInput { field }';
const ENVELOPE = '... on Error { status code message }';

export const CREATE_USER = `mutation CreateUser($input: CreateUserInput!) {
  createUser(input: $input) {
    __typename
    ... on CreateUserSuccess { user { id username email firstName lastName createdAt } }
    ${ERROR_FIELDS}
  }
}`;

export const CREATE_SSO_TOKEN = `mutation CreateSSOToken($username: String!, $redirectTo: String) {
  createSSOToken(username: $username, redirectTo: $redirectTo) {
    __typename
    ... on CreateSSOTokenSuccess { token loginUrl expiresAt }
    ${ERROR_FIELDS}
  }
}`;

export const LOGIN_WITH_SSO = `mutation LoginWithSSO($token: String!) {
  loginWithSSO(token: $token) {
    __typename
    ... on LoginWithSSOSuccess {
      session { token expiresAt user { username email } group { slug title isApiEnabled allowedDomains } }
    }
    ${ENVELOPE}
  }
}`;

export const VIEWER = `{ viewer { token expiresAt user { username } group { slug } } }`;

export const GROUP = `{ group { slug title isApiEnabled allowedDomains } }`;

export const LOGOUT = `mutation { logout }`;

/** The members of each result union, exactly as API.md §3 lists them. */
export const RESULT_UNION_MEMBERS = {
  CreateUserResult: [
    'CreateUserSuccess',
    'InvalidInput',
    'InvalidEmailDomain',
    'InvalidUsername',
    'OutOfRangeUsername',
    'OutOfRangeSuggestedUsername',
    'UsernameAlreadyExists',
    'EmailAlreadyExists',
    'FailedToCreateUser',
  ],
  // MemberSuspended: API.md §18.
  CreateSSOTokenResult: ['CreateSSOTokenSuccess', 'InvalidInput', 'InvalidUsername', 'NotGroupMember', 'SignInNotAllowed', 'MemberSuspended'],
  LoginWithSSOResult: [
    'LoginWithSSOSuccess',
    'SSOTokenFailedToParse',
    'InvalidSSOTokenPayload',
    'InvalidRequestDomain',
    'GroupNotFound',
    'InvalidUsername',
    'NotGroupMember',
    'MemberSuspended',
    'FailedToCreateSession',
  ],
} as const;
