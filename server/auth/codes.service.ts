import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { CODE_USED_UP } from '../../src/lib/protocol/index.js';
import { AppError, rateLimited } from '../errors.js';
import type { KeyValueStore } from '../kv/kv.js';

export type CodePurpose = 'register' | 'reset';

export interface CodeOptions {
	/** How long a code lives. Default 10 minutes. */
	ttlMs?: number;
	/** Wrong tries before the code is burnt. Default 5. */
	maxAttempts?: number;
	/** Minimum time between two codes to one email. Default 60 s. */
	resendMs?: number;
}

function digest(purpose: CodePurpose, emailKey: string, code: string): Buffer {
	return createHash('sha256').update(`${purpose}\0${emailKey}\0${code}`).digest();
}

/**
 * Six-digit, single-use email codes. Stored hashed in the key-value store (Redis or memory), so they
 * expire by TTL; wrong tries are counted atomically and burn the code at the limit.
 */
export class VerificationCodes {
	readonly ttlMs: number;
	readonly maxAttempts: number;
	readonly resendMs: number;

	constructor(
		private readonly kv: KeyValueStore,
		options: CodeOptions = {}
	) {
		this.ttlMs = options.ttlMs ?? 10 * 60_000;
		this.maxAttempts = options.maxAttempts ?? 5;
		this.resendMs = options.resendMs ?? 60_000;
	}

	/**
	 * Claims the per-email resend slot. Throws `rate_limited` when a code went to this email in the last
	 * `resendMs`, whether or not the email has an account, so the answer tells nothing about accounts.
	 */
	async claimSendSlot(emailKey: string): Promise<void> {
		const key = `code-cooldown:${emailKey}`;
		if (!(await this.kv.setIfAbsent(key, '1', this.resendMs))) {
			const left = (await this.kv.ttl(key)) ?? this.resendMs;
			throw rateLimited(left / 1000, 'a code was sent to this email a moment ago');
		}
	}

	/** Makes a new code for (purpose, email), replacing any earlier one, and returns it. */
	async issue(purpose: CodePurpose, emailKey: string): Promise<string> {
		const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
		await this.kv.set(`code:${purpose}:${emailKey}`, digest(purpose, emailKey, code).toString('hex'), this.ttlMs);
		await this.kv.del(`code-fails:${purpose}:${emailKey}`, `code-burnt:${purpose}:${emailKey}`);
		return code;
	}

	/**
	 * Drops any code and wrong-try count for (purpose, email) without making a code: what `issue` does
	 * to the count, for an ask that mails no code, so the tries left after it tell nothing.
	 */
	async withhold(purpose: CodePurpose, emailKey: string): Promise<void> {
		await this.kv.del(`code:${purpose}:${emailKey}`, `code-fails:${purpose}:${emailKey}`, `code-burnt:${purpose}:${emailKey}`);
	}

	/**
	 * Checks and uses up a code; throws `invalid_code` saying why it was refused. An email with no code
	 * (never sent, expired, or an account's email asked to register, which mails no code) is answered
	 * exactly like a wrong code, tries counted alike: otherwise asking a code for someone's email and
	 * trying one would tell whether it has an account (PROTOCOL.md 1).
	 * @param options.beforeTake runs once the code matched, before it is used up; if it throws, the
	 *   error goes to the caller and the code stays good (default: none)
	 */
	async consume(purpose: CodePurpose, emailKey: string, code: string, options: { beforeTake?: () => Promise<void> } = {}): Promise<void> {
		const key = `code:${purpose}:${emailKey}`;
		// Used up by wrong tries: said as such (not "wrong or expired") until a new code is asked for.
		// Burning depends only on the tries, never on whether the email has an account, so this tells
		// nothing about accounts either.
		if ((await this.kv.get(`code-burnt:${purpose}:${emailKey}`)) !== null) throw new AppError('invalid_code', CODE_USED_UP);
		const stored = await this.kv.get(key);
		const expected = stored ? Buffer.from(stored, 'hex') : null;
		const given = digest(purpose, emailKey, code);
		if (!expected || expected.length !== given.length || !timingSafeEqual(expected, given)) {
			const fails = await this.kv.incr(`code-fails:${purpose}:${emailKey}`, this.ttlMs);
			if (fails >= this.maxAttempts) {
				await this.kv.set(`code-burnt:${purpose}:${emailKey}`, '1', this.ttlMs);
				// The resend wait is lifted: "request a new one" must be something the user can do now.
				// Mail stays bounded: a code per maxAttempts wrong tries, within the per-address limit.
				await this.kv.del(key, `code-fails:${purpose}:${emailKey}`, `code-cooldown:${emailKey}`);
				throw new AppError('invalid_code', CODE_USED_UP);
			}
			const left = this.maxAttempts - fails;
			throw new AppError('invalid_code', `wrong or expired code; ${left} ${left === 1 ? 'try' : 'tries'} left`);
		}
		await options.beforeTake?.();
		// Of two requests racing with the right code, only the one that takes it wins.
		if ((await this.kv.take(key)) === null) throw new AppError('invalid_code', 'this code was already used; request a new one');
		await this.kv.del(`code-fails:${purpose}:${emailKey}`);
	}
}
