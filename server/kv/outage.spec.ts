import { describe, expect, it } from 'vitest';
import { isRedisUnavailable, redisUnavailable } from './outage.js';

describe('isRedisUnavailable', () => {
	it('knows what ioredis says when Redis is away', () => {
		expect(isRedisUnavailable(Object.assign(new Error('Reached the max retries per request limit (which is 3). Refer to "maxRetriesPerRequest" option for details.'), { name: 'MaxRetriesPerRequestError' }))).toBe(true);
		expect(isRedisUnavailable(new Error('Connection is closed.'))).toBe(true);
		expect(isRedisUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }))).toBe(true);
	});
	it('does not take a bug or a wrong command for an outage', () => {
		expect(isRedisUnavailable(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
		expect(isRedisUnavailable(new TypeError('x is undefined'))).toBe(false);
		expect(isRedisUnavailable(null)).toBe(false);
		expect(isRedisUnavailable('Connection is closed.')).toBe(false);
	});
	it('answers 503 unavailable', () => {
		expect(redisUnavailable()).toMatchObject({ status: 503, code: 'unavailable' });
	});
});
