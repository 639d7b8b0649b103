/** The users table as both dialects read it. */
import { selection } from './tables.ts';

/** A user record's columns, selected as they are. */
export const userColumns = selection('id', 'username', 'email', 'firstName', 'lastName', 'createdAt');
