import type { Kysely } from 'kysely';
import type { ChatEndpoint, LoginRequest, PasswordCheckRequest, PasswordCheckResponse, PasswordResetRequest, RegisterRequest, SessionEndReason, User, VerificationRequest, VerificationResponse } from '../../src/lib/protocol/index.js';
import { avatarUrl } from '../../src/lib/protocol/index.js';
import type { Balancer } from '../balance/balancer.js';
import type { TicketClaims, Tickets } from '../chat/node/tickets.js';
import type { Database } from '../db/schema.js';
import { isUniqueViolation } from '../db/database.js';
import { liveSessionLastSeen } from '../devices/devices.repository.js';
import { noteSeen } from '../devices/last-seen.js';
import { newId, nowIso } from '../db/ids.js';
import { AppError, invalidInput } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Mailer } from '../mail/mailer.js';
import * as repo from './auth.repository.js';
import { passwordProblem } from './common-passwords.js';
import type { VerificationCodes } from './codes.service.js';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './passwords.js';
import type { Limiter } from './rate-limits.js';
import { hashToken, newToken } from './sessions.js';

/** Told when sessions end, so their sockets (on whatever node) get `session:ended` and close. */
export type SessionsEnded = (sessionIds: string[], reason: SessionEndReason) => void;

export interface AuthDeps {
	db: Kysely<Database>;
	codes: VerificationCodes;
	mailer: Mailer;
	tickets: Tickets;
	balancer: Balancer;
	limits: {
		/** Failed sign-ins per account and client address (cleared by a success). */
		loginAccountIp: Limiter;
		/** Failed sign-ins per client address, over all accounts. */
		loginIp: Limiter;
		codesIp: Limiter;
		/** Availability look-ups per client address: a short window and a day. */
		availabilityIp: Limiter;
		availabilityIpDay: Limiter;
		/** Common-password look-ups per client address: a short window and a day. */
		passwordCheckIp: Limiter;
		passwordCheckIpDay: Limiter;
	};
	sessionsEnded: SessionsEnded;
	sessionDays: number;
	log: Logger;
}

export interface Authenticated {
	sessionId: string;
	user: User;
}

export function toUser(row: repo.UserRow, self: boolean): User {
	const user: User = { id: row.id, username: row.username, displayName: row.display_name, avatarUrl: row.avatar ? avatarUrl(row.avatar) : null };
	if (self) {
		user.email = row.email;
		user.bio = row.bio;
	}
	return user;
}

const key = (s: string) => s.trim().toLowerCase();

/** Accounts and sessions: the rules of PROTOCOL.md section 1. */
export class AuthService {
	constructor(private readonly deps: AuthDeps) {}

	/** Emails a code. Answers the same whether or not the email has an account. */
	async requestCode(input: VerificationRequest, ip: string): Promise<VerificationResponse> {
		const { codes, mailer, db, log } = this.deps;
		const emailKey = key(input.email);
		await this.deps.limits.codesIp.consume(ip);
		await codes.claimSendSlot(emailKey);
		const existing = await repo.findUserByEmail(db, emailKey);
		const minutes = Math.round(codes.ttlMs / 60_000);
		let mail: { subject: string; text: string } | null = null;
		if (input.purpose === 'register') {
			mail = existing
				? {
						subject: 'Someone tried to register with your email',
						text: `Someone tried to create a Parley account with ${input.email}, but you already have one (username "${existing.username}").\n\nIf this was you, sign in instead, or reset your password. If not, you can ignore this email.`
					}
				: {
						subject: 'Your Parley verification code',
						text: `Your Parley verification code is ${await codes.issue('register', emailKey)}\n\nIt expires in ${minutes} minutes. If you did not ask for it, ignore this email.`
					};
		} else if (existing) {
			mail = {
				subject: 'Your Parley password reset code',
				text: `Your Parley password reset code is ${await codes.issue('reset', emailKey)}\n\nIt expires in ${minutes} minutes. If you did not ask for it, ignore this email: your password stays as it is.`
			};
		}
		// Asked and nothing to send (a taken email to register, an unknown one to reset): the tries left
		// restart as after a real code, so trying codes afterwards tells nothing either.
		if (!mail || (input.purpose === 'register' && existing)) await codes.withhold(input.purpose, emailKey);
		if (mail) {
			// Sent in the background: the answer's timing must not tell whether a mail went out.
			mailer.send({ to: input.email, ...mail }).catch((error) => log.error(`sending "${mail.subject}" to ${input.email} failed`, error));
		}
		return { expiresIn: Math.round(codes.ttlMs / 1000), resendIn: Math.ceil(codes.resendMs / 1000) };
	}

	/** Whether a username is free; throttled per client address. See `email` below. */
	async availability(input: { username?: string; email?: string }, ip: string): Promise<{ username?: boolean; email?: boolean }> {
		const { db, limits } = this.deps;
		await limits.availabilityIp.consume(ip);
		await limits.availabilityIpDay.consume(ip);
		const out: { username?: boolean; email?: boolean } = {};
		if (input.username !== undefined) out.username = !(await repo.usernameExists(db, key(input.username)));
		// Not looked up: an email's account is told only to its mailbox (the verification step), never to
		// whoever asks. Any well-formed address is "free to try"; registering then needs its emailed code.
		if (input.email !== undefined) out.email = true;
		return out;
	}

	/**
	 * What `register` or `password-reset` would say of this password beyond the schema, for the forms
	 * while typing; throttled per client address. Nothing is stored or logged: the password is only
	 * looked up in the list. The account's own names are not compared here (the forms do that).
	 */
	async passwordCheck(input: PasswordCheckRequest, ip: string): Promise<PasswordCheckResponse> {
		const { limits } = this.deps;
		await limits.passwordCheckIp.consume(ip);
		await limits.passwordCheckIpDay.consume(ip);
		return { problem: passwordProblem(input.password) };
	}

	async register(input: RegisterRequest): Promise<User> {
		const { db, codes } = this.deps;
		const usernameKey = key(input.username);
		const emailKey = key(input.email);
		// The username first, so a taken name (public anyway) does not burn the code. The email only
		// after the code: an account's email never gets a register code, so without the mailbox a taken
		// email answers `invalid_code` like any other, and `email_taken` (a race, or the owner) proves the
		// mailbox. The unique indexes settle real races.
		if (await repo.usernameExists(db, usernameKey)) throw taken('username', input.username);
		refuseWeak(input.password, input);
		await codes.consume('register', emailKey, input.code);
		const now = nowIso();
		const row: repo.UserRow = {
			id: newId(),
			username: input.username,
			username_key: usernameKey,
			email: input.email,
			email_key: emailKey,
			display_name: input.displayName ?? input.username,
			bio: '',
			password_hash: await hashPassword(input.password),
			created_at: now,
			updated_at: now
		};
		try {
			await repo.insertUser(db, row);
		} catch (error) {
			if (!isUniqueViolation(error)) throw error;
			if (await repo.usernameExists(db, usernameKey)) throw taken('username', input.username);
			throw taken('email', input.email);
		}
		this.deps.log.with({ user: row.id }).info(`registered "${row.username}"`);
		return toUser(row, true);
	}

	async resetPassword(input: PasswordResetRequest): Promise<void> {
		const { db, codes } = this.deps;
		const emailKey = key(input.email);
		refuseWeak(input.password, { email: input.email });
		let found: repo.UserRow | undefined;
		// The username is compared only once the code proved the mailbox, and before the code is used
		// up, so a refused password keeps the code good for another try.
		await codes.consume('reset', emailKey, input.code, {
			beforeTake: async () => {
				found = await repo.findUserByEmail(db, emailKey);
				if (found) refuseWeak(input.password, { username: found.username });
			}
		});
		const user = found as repo.UserRow | undefined;
		if (!user) throw new AppError('invalid_code', 'this code has expired or was never sent; request a new one');
		const passwordHash = await hashPassword(input.password);
		const ended = await db.transaction().execute(async (trx) => {
			await repo.updatePasswordHash(trx, user.id, passwordHash, nowIso());
			return repo.deleteSessionsOfUser(trx, user.id);
		});
		this.deps.sessionsEnded(ended, 'password_changed');
		this.deps.log.with({ user: user.id }).info(`password reset; ${ended.length} session(s) ended`);
	}

	async login(input: LoginRequest, meta: { ip: string; userAgent: string | null }): Promise<{ user: User; token: string; sessionId: string }> {
		const { db, limits } = this.deps;
		const loginKey = key(input.login);
		await limits.loginIp.check(meta.ip);
		const row = await repo.findUserByLogin(db, loginKey);
		// Counted per account, not per spelling: username and email of one user share one count. Never
		// per account alone: a stranger's failures from their address must not lock the owner out.
		const accountIpKey = `${row ? `user:${row.id}` : `login:${loginKey}`}@${meta.ip}`;
		await limits.loginAccountIp.check(accountIpKey);
		const ok = row ? await verifyPassword(row.password_hash, input.password) : (await verifyAgainstDummy(input.password), false);
		if (!row || !ok) {
			await Promise.all([limits.loginIp.penalize(meta.ip), limits.loginAccountIp.penalize(accountIpKey)]);
			throw new AppError('unauthorized', 'wrong username, email or password');
		}
		await limits.loginAccountIp.reset(accountIpKey);
		const token = newToken();
		const now = Date.now();
		const sessionId = newId(now);
		await repo.insertSession(db, {
			id: sessionId,
			user_id: row.id,
			token_hash: hashToken(token),
			user_agent: meta.userAgent?.slice(0, 255) ?? null,
			ip: meta.ip.slice(0, 64),
			created_at: new Date(now).toISOString(),
			expires_at: new Date(now + this.deps.sessionDays * 86_400_000).toISOString()
		});
		this.deps.log.with({ user: row.id, session: sessionId }).info('signed in');
		return { user: toUser(row, true), token, sessionId };
	}

	/** The session a bearer token or cookie names, or null. */
	async authenticate(token: string | undefined): Promise<Authenticated | null> {
		if (!token || token.length > 256) return null;
		const row = await repo.findLiveSession(this.deps.db, hashToken(token), nowIso());
		if (!row) return null;
		await noteSeen(this.deps.db, this.deps.log, row.session_id, row.last_seen_at);
		return { sessionId: row.session_id, user: toUser(row, true) };
	}

	/** Whether the session is live (the chat handshake asks); notes it as seen, as `authenticate` does. */
	async sessionIsLive(sessionId: string): Promise<boolean> {
		const lastSeen = await liveSessionLastSeen(this.deps.db, sessionId, nowIso());
		if (lastSeen === undefined) return false;
		await noteSeen(this.deps.db, this.deps.log, sessionId, lastSeen);
		return true;
	}

	async logout(sessionId: string): Promise<void> {
		await repo.deleteSession(this.deps.db, sessionId);
		this.deps.sessionsEnded([sessionId], 'logout');
	}

	/**
	 * A fresh single-use ticket for the least-loaded live chat node.
	 * @param options.avoid a node URL the client failed to reach: another live node comes first (default: none)
	 */
	async chatTicket(claims: TicketClaims, options: { avoid?: string } = {}): Promise<ChatEndpoint> {
		const node = await this.deps.balancer.pick(options);
		if (!node) throw new AppError('no_chat_node', 'no chat server is available right now; try again in a moment');
		const reserved = node.reservation ? { node: node.nodeId, reservation: node.reservation } : {};
		return { url: node.url, ticket: await this.deps.tickets.issue({ ...claims, ...reserved }) };
	}
}

/** Refuses (before any code is spent) a password on the common list or equal to the account's names. */
function refuseWeak(password: string, context: { username?: string; email?: string }): void {
	const problem = passwordProblem(password, context);
	if (problem) throw invalidInput({ password: problem }, `password: ${problem}`);
}

function taken(field: 'username' | 'email', value: string): AppError {
	return field === 'username'
		? new AppError('username_taken', `the username "${value}" is taken`)
		: new AppError('email_taken', `an account with this email already exists`);
}
