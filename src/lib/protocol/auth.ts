import { z } from 'zod';
import { EVERYONE } from './mentions';
import { hasControlCharacters } from './text';

/** Limits shared by the forms and the server, so both say the same thing. */
export const LIMITS = {
	usernameMin: 3,
	usernameMax: 32,
	displayNameMax: 64,
	emailMax: 254,
	passwordMin: 8,
	passwordMax: 256,
	bioMax: 280
} as const;

export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

const trimmed = <S extends z.ZodType<string, string>>(schema: S) => z.string().trim().pipe(schema);

export const emailSchema = trimmed(
	z.email({ message: 'enter a valid email address' }).max(LIMITS.emailMax, {
		message: `at most ${LIMITS.emailMax} characters`
	})
);

export const usernameSchema = trimmed(
	z
		.string()
		.min(LIMITS.usernameMin, { message: `at least ${LIMITS.usernameMin} characters` })
		.max(LIMITS.usernameMax, { message: `at most ${LIMITS.usernameMax} characters` })
		.regex(USERNAME_PATTERN, { message: 'letters, digits, dot, dash and underscore only' })
		.refine((u) => u.toLowerCase() !== EVERYONE, { message: `“${EVERYONE}” is reserved: it mentions everyone in a group` })
);

export const passwordSchema = z
	.string()
	.min(LIMITS.passwordMin, { message: `at least ${LIMITS.passwordMin} characters` })
	.max(LIMITS.passwordMax, { message: `at most ${LIMITS.passwordMax} characters` });

/**
 * Whether a new password is the account's own username or email (or the email's part before the @),
 * ignoring case and surrounding spaces; the message is shown beside the password field. Shared by the forms and
 * the server. (The server also refuses the commonest passwords: that list is too big for the page.)
 */
export function passwordIdentityProblem(password: string, context: { username?: string; email?: string }): string | null {
	const given = password.trim().toLowerCase();
	if (!given) return null;
	if (context.username && given === context.username.trim().toLowerCase()) return 'this is your username; choose another password';
	if (context.email) {
		const email = context.email.trim().toLowerCase();
		const local = email.slice(0, email.lastIndexOf('@'));
		if (given === email || given === local) return 'this is your email address; choose another password';
	}
	return null;
}

/** Adds `passwordIdentityProblem` to a request schema, as an issue on `password`. */
function identityIssue(input: { password: string; username?: string; email: string }, ctx: z.RefinementCtx): void {
	const problem = passwordIdentityProblem(input.password, input);
	if (problem) ctx.addIssue({ code: 'custom', path: ['password'], message: problem });
}

/**
 * The `invalid_code` message, exactly, for a code used up by too many wrong tries, and for every try
 * after that until a new code is asked for; a new one may be asked for at once (no resend wait).
 */
export const CODE_USED_UP = 'too many wrong tries: this code is used up; request a new one, you can do so now';

export const codeSchema = z
	.string()
	.trim()
	.regex(/^\d{6}$/, { message: 'the code is 6 digits' });

export const displayNameSchema = z
	.string()
	.trim()
	.min(1, { message: 'must not be empty' })
	.max(LIMITS.displayNameMax, { message: `at most ${LIMITS.displayNameMax} characters` })
	.refine((s) => !hasControlCharacters(s), { message: 'must not contain control characters' });

export const verificationRequest = z.strictObject({
	email: emailSchema,
	purpose: z.enum(['register', 'reset'], { message: 'purpose is "register" or "reset"' })
});
export type VerificationRequest = z.infer<typeof verificationRequest>;

/**
 * `POST /api/auth/chat-ticket`; the body is optional. `avoid` (extension): the URL of the chat node
 * the client just failed to reach, so that another live one is named if there is any.
 */
export const chatTicketRequest = z.strictObject({
	avoid: z.string().max(2048, { message: 'at most 2048 characters' }).optional()
});
export type ChatTicketRequest = z.infer<typeof chatTicketRequest>;

export const availabilityQuery = z
	.strictObject({
		username: usernameSchema.optional(),
		email: emailSchema.optional()
	})
	.refine((q) => q.username !== undefined || q.email !== undefined, {
		message: 'give username, email or both',
		path: ['username']
	});
export type AvailabilityQuery = z.infer<typeof availabilityQuery>;

/**
 * `POST /api/auth/password-check` (extension): the forms ask, while a new password is typed, whether
 * the server would refuse it as one of the commonest (a list too big for the page).
 */
export const passwordCheckRequest = z.strictObject({ password: passwordSchema });
export type PasswordCheckRequest = z.infer<typeof passwordCheckRequest>;

export const registerRequest = z.strictObject({
	username: usernameSchema,
	email: emailSchema,
	password: passwordSchema,
	code: codeSchema,
	displayName: displayNameSchema.optional()
}).superRefine(identityIssue);
export type RegisterRequest = z.infer<typeof registerRequest>;

export const passwordResetRequest = z.strictObject({
	email: emailSchema,
	code: codeSchema,
	password: passwordSchema
}).superRefine(identityIssue);
export type PasswordResetRequest = z.infer<typeof passwordResetRequest>;

export const loginRequest = z.strictObject({
	login: z
		.string()
		.trim()
		.min(1, { message: 'enter your username or email' })
		.max(LIMITS.emailMax, { message: `at most ${LIMITS.emailMax} characters` })
		// No username or email holds one; PostgreSQL refuses a NUL outright (a 500), and MariaDB's
		// collation ignores it, so `alice\0` would be looked up as `alice`.
		.refine((s) => !hasControlCharacters(s), { message: 'must not contain control characters' }),
	password: z
		.string()
		.min(1, { message: 'enter your password' })
		.max(LIMITS.passwordMax, { message: `at most ${LIMITS.passwordMax} characters` })
});
export type LoginRequest = z.infer<typeof loginRequest>;

/** A user as the API shows it. `email` only when the user is looking at themself. */
export interface User {
	id: string;
	username: string;
	displayName: string;
	/** Only for the user themself. */
	email?: string;
	/** Only for the user themself (others see it on UserCards). */
	bio?: string;
	/** The user's picture (extension: `avatarUrl()`), or null: show initials. */
	avatarUrl: string | null;
}

export interface ChatEndpoint {
	/** Base URL of the chat node to connect socket.io to. */
	url: string;
	/** Single-use, valid for 60 s. */
	ticket: string;
}

export interface VerificationResponse {
	expiresIn: number;
	/** (extension) Seconds before another code may be sent to this email. */
	resendIn: number;
}
export interface AvailabilityResponse {
	username?: boolean;
	email?: boolean;
}
export interface PasswordCheckResponse {
	/** Why the server would refuse this password as a new one, or null. */
	problem: string | null;
}
export interface UserResponse {
	user: User;
}
export interface LoginResponse {
	user: User;
	token: string;
	chat: ChatEndpoint;
}
export interface ChatTicketResponse {
	chat: ChatEndpoint;
}
export interface HealthResponse {
	status: 'ok';
	nodeId: string;
	roles: string[];
}

/** Client-side hint only; the server enforces the length rules above. */
export function passwordStrength(password: string): { score: 0 | 1 | 2 | 3 | 4; label: string } {
	if (password.length === 0) return { score: 0, label: '' };
	let score = 0;
	if (password.length >= LIMITS.passwordMin) score++;
	if (password.length >= 12) score++;
	const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(password)).length;
	if (classes >= 2) score++;
	if (classes >= 3 && password.length >= 10) score++;
	if (password.length < LIMITS.passwordMin) score = Math.min(score, 1);
	const s = Math.min(score, 4) as 0 | 1 | 2 | 3 | 4;
	return { score: s, label: ['too short', 'weak', 'fair', 'good', 'strong'][s] };
}
