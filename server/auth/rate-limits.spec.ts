import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { createLimiter, DEFAULT_AUTH_LIMITS } from './rate-limits.js';

async function rejection(promise: Promise<unknown>): Promise<AppError> {
	const result = await promise.then(
		() => new Error('resolved'),
		(e: unknown) => e
	);
	expect(result).toBeInstanceOf(AppError);
	return result as AppError;
}

const limiter = (points = 3, durationSeconds = 900) => createLimiter({ name: `t${Math.random()}`, points, durationSeconds, message: 'too many tries' });

describe('Limiter (in memory)', () => {
	it('check spends nothing: any number of checks pass on a fresh key', async () => {
		const l = limiter();
		for (let i = 0; i < 10; i++) await l.check('k');
	});

	it('check refuses once penalties reach the points, with Retry-After within the window', async () => {
		const l = limiter(3, 900);
		for (let i = 0; i < 2; i++) await l.penalize('k');
		await l.check('k');
		await l.penalize('k');
		const error = await rejection(l.check('k'));
		expect(error.code).toBe('rate_limited');
		expect(error.status).toBe(429);
		expect(error.retryAfter).toBeGreaterThan(890);
		expect(error.retryAfter).toBeLessThanOrEqual(900);
		expect(error.message).toMatch(/^too many tries; try again in \d+ s$/);
	});

	it('penalize never throws, even far past the limit', async () => {
		const l = limiter(1);
		for (let i = 0; i < 5; i++) await l.penalize('k');
	});

	it('consume spends a point and refuses past the limit', async () => {
		const l = limiter(2);
		await l.consume('k');
		await l.consume('k');
		expect((await rejection(l.consume('k'))).code).toBe('rate_limited');
	});

	it('keys are counted apart', async () => {
		const l = limiter(1);
		await l.penalize('a');
		await rejection(l.check('a'));
		await l.check('b');
	});

	it('reset clears a key', async () => {
		const l = limiter(1);
		await l.penalize('k');
		await l.reset('k');
		await l.check('k');
	});

	it('the defaults', () => {
		expect(DEFAULT_AUTH_LIMITS).toEqual({
			loginFailuresPerAccountAndIp: 10,
			loginWindowSeconds: 900,
			loginFailuresPerIp: 100,
			loginIpWindowSeconds: 86_400,
			codesPerIp: 30,
			availabilityPerIpPerMinute: 60,
			availabilityPerIpPerDay: 1000,
			passwordCheckPerIpPerMinute: 60,
			passwordCheckPerIpPerDay: 1000
		});
	});
});
