/** The users table as both dialects read it. */
import type { Columns } from './tables.ts';

/** A user record's columns, selected as they are. */
export function userColumns<T extends Columns<'id' | 'username' | 'email' | 'firstName' | 'lastName' | 'createdAt'>>(users: T): Pick<T, 'id' | 'username' | 'email' | 'firstName' | 'lastName' | 'createdAt'> {
  return {
    id: users.id,
    username: users.username,
    email: users.email,
    firstName: users.firstName,
    lastName: users.lastName,
    createdAt: users.createdAt,
  };
}
