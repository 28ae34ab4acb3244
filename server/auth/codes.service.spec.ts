import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CODE_USED_UP } from '../../src/lib/protocol/index.js';
import { AppError } from '../errors.js';
import { MemoryStore } from '../kv/memory.js';
import { VerificationCodes } from './codes.service.js';

/** The AppError a promise rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<AppError> {
	const result = await promise.then(
		() => new Error('resolved'),
		(e: unknown) => e
	);
	expect(result).toBeInstanceOf(AppError);
	return result as AppError;
}

const other = (code: string, n = 1) => String((Number(code) + n) % 1_000_000).padStart(6, '0');

describe('VerificationCodes over the MemoryStore', () => {
	let kv: MemoryStore;
	let codes: VerificationCodes;

	beforeEach(() => {
		vi.useFakeTimers();
		kv = new MemoryStore();
		codes = new VerificationCodes(kv);
	});
	afterEach(async () => {
		await kv.close();
		vi.useRealTimers();
	});

	it('defaults: 10 minutes, 5 tries, 60 s between codes', () => {
		expect(codes).toMatchObject({ ttlMs: 600_000, maxAttempts: 5, resendMs: 60_000 });
	});

	it('issues 6-digit codes, zero-padded, and not always the same', async () => {
		const seen = new Set<string>();
		for (let i = 0; i < 200; i++) {
			const code = await codes.issue('register', `e${i}@x.test`);
			expect(code).toMatch(/^\d{6}$/);
			seen.add(code);
		}
		expect(seen.size).toBeGreaterThan(190);
	});

	it('stores only a hash of the code', async () => {
		const code = await codes.issue('register', 'a@x.test');
		const stored = await kv.get('code:register:a@x.test');
		expect(stored).toMatch(/^[0-9a-f]{64}$/);
		expect(stored).not.toContain(code);
	});

	it('the right code is accepted once', async () => {
		const code = await codes.issue('register', 'a@x.test');
		await codes.consume('register', 'a@x.test', code);
		const error = await rejection(codes.consume('register', 'a@x.test', code));
		expect(error.code).toBe('invalid_code');
		expect(error.status).toBe(422);
	});

	it('of concurrent uses of the right code, exactly one succeeds', async () => {
		const code = await codes.issue('register', 'a@x.test');
		const results = await Promise.allSettled(Array.from({ length: 5 }, () => codes.consume('register', 'a@x.test', code)));
		expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
	});

	it('wrong codes say how many tries are left; the 5th burns the code', async () => {
		const code = await codes.issue('register', 'a@x.test');
		const messages: string[] = [];
		for (let i = 1; i <= 5; i++) messages.push((await rejection(codes.consume('register', 'a@x.test', other(code, i)))).message);
		expect(messages.slice(0, 4)).toEqual(['wrong or expired code; 4 tries left', 'wrong or expired code; 3 tries left', 'wrong or expired code; 2 tries left', 'wrong or expired code; 1 try left']);
		expect(messages[4]).toBe(CODE_USED_UP);
		// The right code, after that, is told as used up too (not as "wrong or expired"), and costs no try.
		for (let i = 0; i < 3; i++) {
			const error = await rejection(codes.consume('register', 'a@x.test', code));
			expect([error.code, error.message]).toEqual(['invalid_code', CODE_USED_UP]);
		}
	});

	it('burning a code lifts the resend wait, and a new code clears the used-up answer', async () => {
		await codes.claimSendSlot('a@x.test');
		const code = await codes.issue('reset', 'a@x.test');
		expect((await rejection(codes.claimSendSlot('a@x.test'))).code).toBe('rate_limited');
		for (let i = 1; i <= 5; i++) await rejection(codes.consume('reset', 'a@x.test', other(code, i)));
		await codes.claimSendSlot('a@x.test');
		const fresh = await codes.issue('reset', 'a@x.test');
		expect((await rejection(codes.consume('reset', 'a@x.test', other(fresh)))).message).toBe('wrong or expired code; 4 tries left');
		await codes.consume('reset', 'a@x.test', fresh);
	});

	it('an email with no code burns alike (tries tell nothing about accounts)', async () => {
		for (let i = 1; i <= 4; i++) expect((await rejection(codes.consume('reset', 'nobody@x.test', '000000'))).message).toMatch(/(tries|try) left$/);
		expect((await rejection(codes.consume('reset', 'nobody@x.test', '000000'))).message).toBe(CODE_USED_UP);
	});

	it('4 wrong tries still leave the right code working', async () => {
		const code = await codes.issue('register', 'a@x.test');
		for (let i = 1; i <= 4; i++) await rejection(codes.consume('register', 'a@x.test', other(code, i)));
		await codes.consume('register', 'a@x.test', code);
	});

	it('a new code starts a new count of tries', async () => {
		const first = await codes.issue('register', 'a@x.test');
		for (let i = 1; i <= 4; i++) await rejection(codes.consume('register', 'a@x.test', other(first, i)));
		const second = await codes.issue('register', 'a@x.test');
		for (let i = 1; i <= 4; i++) await rejection(codes.consume('register', 'a@x.test', other(second, i)));
		await codes.consume('register', 'a@x.test', second);
	});

	it('a new code replaces the old one', async () => {
		const first = await codes.issue('register', 'a@x.test');
		let second = await codes.issue('register', 'a@x.test');
		while (second === first) second = await codes.issue('register', 'a@x.test');
		await rejection(codes.consume('register', 'a@x.test', first));
		await codes.consume('register', 'a@x.test', second);
	});

	it('a code belongs to its purpose and its email', async () => {
		const code = await codes.issue('register', 'a@x.test');
		await rejection(codes.consume('reset', 'a@x.test', code));
		await rejection(codes.consume('register', 'b@x.test', code));
		// Those refusals were wrong tries of other (purpose, email) pairs; this one is untouched.
		await codes.consume('register', 'a@x.test', code);
	});

	it('a reset and a register code for one email live side by side', async () => {
		const register = await codes.issue('register', 'a@x.test');
		const reset = await codes.issue('reset', 'a@x.test');
		await codes.consume('reset', 'a@x.test', reset);
		await codes.consume('register', 'a@x.test', register);
	});

	it('a code expires after its TTL', async () => {
		const code = await codes.issue('register', 'a@x.test');
		vi.advanceTimersByTime(10 * 60_000);
		const error = await rejection(codes.consume('register', 'a@x.test', code));
		expect(error.code).toBe('invalid_code');
		expect(error.message).toMatch(/expired/);
	});

	it('a code works up to just before its TTL', async () => {
		const code = await codes.issue('register', 'a@x.test');
		vi.advanceTimersByTime(10 * 60_000 - 1);
		await codes.consume('register', 'a@x.test', code);
	});

	it('an email with no code is answered exactly like a wrong code, tries counted alike (no account oracle)', async () => {
		const code = await codes.issue('reset', 'someone@x.test');
		const withCode: string[] = [];
		const without: string[] = [];
		for (let i = 1; i <= 5; i++) {
			withCode.push((await rejection(codes.consume('reset', 'someone@x.test', other(code, i)))).message);
			without.push((await rejection(codes.consume('reset', 'nobody@x.test', '123456'))).message);
		}
		expect(without).toEqual(withCode);
		expect(without[0]).toBe('wrong or expired code; 4 tries left');
	});

	it('withhold restarts the count as issue does, and leaves no code', async () => {
		await rejection(codes.consume('register', 'taken@x.test', '123456'));
		await rejection(codes.consume('register', 'free@x.test', '123456'));
		await codes.withhold('register', 'taken@x.test');
		const code = await codes.issue('register', 'free@x.test');
		const taken = (await rejection(codes.consume('register', 'taken@x.test', '123456'))).message;
		expect((await rejection(codes.consume('register', 'free@x.test', other(code)))).message).toBe(taken);
		expect(await kv.get('code:register:taken@x.test')).toBeNull();
	});

	it.each(['', '12345', '1234567', 'abcdef', '12345\u0000'])('a malformed code %j is a wrong try, never a match', async (bad) => {
		await codes.issue('register', 'a@x.test');
		expect((await rejection(codes.consume('register', 'a@x.test', bad))).code).toBe('invalid_code');
	});

	describe('the resend slot', () => {
		it('one code per 60 s per email: 429 with the seconds left', async () => {
			await codes.claimSendSlot('a@x.test');
			vi.advanceTimersByTime(15_000);
			const error = await rejection(codes.claimSendSlot('a@x.test'));
			expect(error.code).toBe('rate_limited');
			expect(error.status).toBe(429);
			expect(error.retryAfter).toBe(45);
		});

		it('opens again after 60 s', async () => {
			await codes.claimSendSlot('a@x.test');
			vi.advanceTimersByTime(60_000);
			await codes.claimSendSlot('a@x.test');
		});

		it('is per email', async () => {
			await codes.claimSendSlot('a@x.test');
			await codes.claimSendSlot('b@x.test');
		});

		it('of concurrent claims, one wins', async () => {
			const results = await Promise.allSettled(Array.from({ length: 5 }, () => codes.claimSendSlot('a@x.test')));
			expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
		});
	});

	it('honours its options', async () => {
		const custom = new VerificationCodes(kv, { ttlMs: 1_000, maxAttempts: 2, resendMs: 5_000 });
		const code = await custom.issue('reset', 'a@x.test');
		await rejection(custom.consume('reset', 'a@x.test', other(code)));
		expect((await rejection(custom.consume('reset', 'a@x.test', other(code, 2)))).message).toMatch(/too many/);
		const again = await custom.issue('reset', 'a@x.test');
		vi.advanceTimersByTime(1_000);
		expect((await rejection(custom.consume('reset', 'a@x.test', again))).message).toMatch(/expired/);
		await custom.claimSendSlot('a@x.test');
		vi.advanceTimersByTime(4_000);
		expect((await rejection(custom.claimSendSlot('a@x.test'))).retryAfter).toBe(1);
	});
});
