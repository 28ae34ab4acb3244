import { z } from 'zod';
import { LIMITS } from './auth';

// Deleting the account (docs/PROTOCOL.md, "Deleting the account", an extension).

/** `DELETE /api/me {password}`: the account's current password, as a confirmation. */
export const accountDeleteRequest = z.strictObject({
	password: z
		.string({ message: 'enter your password' })
		.min(1, { message: 'enter your password' })
		.max(LIMITS.passwordMax, { message: `at most ${LIMITS.passwordMax} characters` })
});
export type AccountDeleteRequest = z.infer<typeof accountDeleteRequest>;

/** What a deleted account is called wherever its messages stay. */
export const DELETED_USER_NAME = 'Deleted user';

/** The `forbidden` message of a send (or call) into a private thread whose other member deleted their account. */
export const ACCOUNT_DELETED = 'this account was deleted; the chat stays readable, but nobody can write in it';
