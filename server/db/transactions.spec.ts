import { describe, expect, it } from 'vitest';
import { isRetryableTransactionError, retryTransaction } from './transactions.js';

const deadlock = Object.assign(new Error('Deadlock found when trying to get lock'), { errno: 1213, code: 'ER_LOCK_DEADLOCK' });

describe('retryTransaction', () => {
	it('knows the retryable errors of each dialect, and nothing else', () => {
		for (const e of [{ code: '40001' }, { code: '40P01' }, { errno: 1213 }, { errno: 1205 }, { code: 'SQLITE_BUSY' }]) expect(isRetryableTransactionError(e)).toBe(true);
		for (const e of [{ code: '23505' }, { errno: 1062 }, new Error('x'), null, undefined]) expect(isRetryableTransactionError(e)).toBe(false);
	});

	it('runs the work again after a deadlock and returns its result', async () => {
		let calls = 0;
		const result = await retryTransaction(async () => {
			if (++calls < 3) throw deadlock;
			return 'done';
		}, { baseDelayMs: 1 });
		expect([result, calls]).toEqual(['done', 3]);
	});

	it('gives up after the attempts, with the last error', async () => {
		let calls = 0;
		await expect(retryTransaction(async () => { calls++; throw deadlock; }, { attempts: 4, baseDelayMs: 1 })).rejects.toBe(deadlock);
		expect(calls).toBe(4);
	});

	it('passes other errors through at once', async () => {
		let calls = 0;
		const other = new Error('constraint');
		await expect(retryTransaction(async () => { calls++; throw other; })).rejects.toBe(other);
		expect(calls).toBe(1);
	});
});
