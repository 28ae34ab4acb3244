import { z } from 'zod';
import { LIMITS, passwordSchema } from './auth';

/**
 * Extension (Settings > Devices, docs/PROTOCOL.md "Sessions and devices"): one signed-in session of
 * the user, as `GET /api/sessions` lists them.
 */
export interface SessionInfo {
	id: string;
	/** From the user agent, e.g. "Firefox 128"; null when it names no browser we know. */
	browser: string | null;
	/** From the user agent, e.g. "Windows", "Android"; null when unknown. */
	os: string | null;
	/** The client address at sign-in; null when none was known. */
	ip: string | null;
	createdAt: string;
	/** The last authenticated request or chat connection, to within a minute. */
	lastSeenAt: string;
	/** True for the session that asked. */
	current: boolean;
}

export interface SessionsResponse {
	/** The current session first, then the others by `lastSeenAt`, newest first. */
	sessions: SessionInfo[];
}

export interface SessionsEndedResponse {
	/** How many sessions were ended. */
	ended: number;
}

/** `POST /api/auth/password` (extension): a new password while signed in. */
export const passwordChangeRequest = z.strictObject({
	currentPassword: z
		.string()
		.min(1, { message: 'enter your current password' })
		.max(LIMITS.passwordMax, { message: `at most ${LIMITS.passwordMax} characters` }),
	newPassword: passwordSchema
});
export type PasswordChangeRequest = z.infer<typeof passwordChangeRequest>;

/** The `fields.currentPassword` message of `POST /api/auth/password` when the current password is wrong. */
export const WRONG_CURRENT_PASSWORD = 'this is not your current password';
