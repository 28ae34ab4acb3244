import type { Kysely } from 'kysely';
import { WRONG_CURRENT_PASSWORD, type PasswordChangeRequest, type SessionInfo } from '../../src/lib/protocol/index.js';
import type { Authenticated, SessionsEnded } from '../auth/auth.service.js';
import { findUserById, updatePasswordHash } from '../auth/auth.repository.js';
import { passwordProblem } from '../auth/common-passwords.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import type { Limiter } from '../auth/rate-limits.js';
import type { Database } from '../db/schema.js';
import { nowIso } from '../db/ids.js';
import { AppError, invalidInput } from '../errors.js';
import type { Logger } from '../logger.js';
import { deleteOtherSessions, deleteSessionOfUser, liveSessionsOfUser } from './devices.repository.js';
import { parseUserAgent } from './user-agent.js';

export interface DevicesDeps {
	db: Kysely<Database>;
	sessionsEnded: SessionsEnded;
	/** Wrong current passwords per session (cleared by a success), as sign-in counts its failures. */
	passwordFailures: Limiter;
	log: Logger;
}

/** Session ids as `newId` makes them; anything else cannot name a session, and answers as an unknown one. */
const SESSION_ID = /^[0-9a-z]{1,32}$/;

const notFound = () => new AppError('not_found', 'no such session among yours');

/** Settings > Devices and the password change (docs/PROTOCOL.md, "Sessions and devices"). */
export class DevicesService {
	constructor(private readonly deps: DevicesDeps) {}

	/** The user's live sessions: the one asking first, then the others, most recently seen first. */
	async list(session: Authenticated): Promise<SessionInfo[]> {
		const rows = await liveSessionsOfUser(this.deps.db, session.user.id, nowIso());
		const sessions = rows.map((row): SessionInfo => {
			const { browser, os } = parseUserAgent(row.user_agent);
			return { id: row.id, browser, os, ip: row.ip, createdAt: row.created_at, lastSeenAt: row.last_seen_at ?? row.created_at, current: row.id === session.sessionId };
		});
		return sessions.sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt) || b.id.localeCompare(a.id));
	}

	/**
	 * Ends one of the user's sessions; its sockets get `session:ended` `revoked` (`logout` when it is
	 * the asking session's own). Another user's session and an unknown id answer the same `not_found`.
	 * @returns whether it was the asking session (its cookie is then cleared)
	 */
	async end(session: Authenticated, sessionId: string): Promise<{ current: boolean }> {
		if (!SESSION_ID.test(sessionId)) throw notFound();
		if (!(await deleteSessionOfUser(this.deps.db, session.user.id, sessionId))) throw notFound();
		const current = sessionId === session.sessionId;
		this.deps.sessionsEnded([sessionId], current ? 'logout' : 'revoked');
		this.deps.log.with({ user: session.user.id, session: session.sessionId }).info(current ? 'signed out from Devices' : `signed out session ${sessionId}`);
		return { current };
	}

	/** Ends every session of the user but the asking one; their sockets get `session:ended` `revoked`. */
	async endOthers(session: Authenticated): Promise<number> {
		const ended = await deleteOtherSessions(this.deps.db, session.user.id, session.sessionId);
		this.deps.sessionsEnded(ended, 'revoked');
		this.deps.log.with({ user: session.user.id, session: session.sessionId }).info(`signed out ${ended.length} other session(s)`);
		return ended.length;
	}

	/**
	 * A new password, given the current one. Wrong current passwords are counted per session as
	 * sign-in counts its failures (`rate_limited` past the limit); the new one meets `register`'s rules.
	 * Every other session ends (`session:ended` `password_changed`); the asking one stays.
	 */
	async changePassword(session: Authenticated, input: PasswordChangeRequest): Promise<number> {
		const { db, passwordFailures } = this.deps;
		const userId = session.user.id;
		const failureKey = `session:${session.sessionId}`;
		await passwordFailures.check(failureKey);
		const user = await findUserById(db, userId);
		if (!user) throw new AppError('unauthorized', 'sign in first: this account no longer exists');
		if (!(await verifyPassword(user.password_hash, input.currentPassword))) {
			await passwordFailures.penalize(failureKey);
			throw invalidInput({ currentPassword: WRONG_CURRENT_PASSWORD }, `currentPassword: ${WRONG_CURRENT_PASSWORD}`);
		}
		await passwordFailures.reset(failureKey);
		const problem = input.newPassword === input.currentPassword ? 'this is your current password; choose another' : passwordProblem(input.newPassword, { username: user.username, email: user.email });
		if (problem) throw invalidInput({ newPassword: problem }, `newPassword: ${problem}`);
		const passwordHash = await hashPassword(input.newPassword);
		const ended = await db.transaction().execute(async (trx) => {
			await updatePasswordHash(trx, userId, passwordHash, nowIso());
			return deleteOtherSessions(trx, userId, session.sessionId);
		});
		this.deps.sessionsEnded(ended, 'password_changed');
		this.deps.log.with({ user: userId, session: session.sessionId }).info(`password changed; ${ended.length} other session(s) ended`);
		return ended.length;
	}
}
