/** The row shapes several storage areas share, so that no area's port imports another's. */

export type MemberRole = 'member' | 'admin';

export interface UserRecord {
  id: string;
  username: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  createdAt: number;
}

export interface GroupRecord {
  id: string;
  slug: string;
  title: string | null;
  isApiEnabled: boolean;
  allowedDomains: string[];
  /** Whether SSO tokens minted without an explicit choice need a click on a confirmation page (API.md §10). */
  requireSignInConfirmation: boolean;
  /** Whether the group's API tokens may mint sign-in links for its admins (API.md §17). */
  adminSignInWithApiToken: boolean;
  /** The directory group whose members are the group's admins (API.md §18); null: roles are set one by one. */
  adminDirectoryGroupId: string | null;
  createdAt: number;
  deletedAt: number | null;
}

export interface SessionRecord {
  id: string;
  userId: string;
  groupId: string;
  createdAt: number;
  expiresAt: number;
  /** The API token whose sign-in link made the session; null for one made otherwise (the CLI's login-link). */
  apiTokenId: string | null;
}

/** A session a write ended, with its owner. */
export interface EndedSession {
  session: SessionRecord;
  user: Pick<UserRecord, 'id' | 'username'>;
}
