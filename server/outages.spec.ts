import { describe, expect, it } from 'vitest';
import { outageOf } from './outages.js';
import { isRedisUnavailable } from './kv/outage.js';

describe('isRedisUnavailable', () => {
	it('knows what ioredis says when Redis is away', () => {
		expect(isRedisUnavailable(Object.assign(new Error('Reached the max retries per request limit (which is 3). Refer to "maxRetriesPerRequest" option for details.'), { name: 'MaxRetriesPerRequestError' }))).toBe(true);
		expect(isRedisUnavailable(new Error('Connection is closed.'))).toBe(true);
	});
	it('does not take a bug or a wrong command for an outage', () => {
		expect(isRedisUnavailable(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
		expect(isRedisUnavailable(new TypeError('x is undefined'))).toBe(false);
		expect(isRedisUnavailable(null)).toBe(false);
		expect(isRedisUnavailable('Connection is closed.')).toBe(false);
	});
	it('answers 503 unavailable, naming Redis or the database', () => {
		expect(outageOf(new Error('Connection is closed.'))).toMatchObject({ what: 'Redis', error: { status: 503, code: 'unavailable' } });
		expect(outageOf(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toMatchObject({ what: 'the database', error: { status: 503, code: 'unavailable', message: expect.stringMatching(/database/) } });
		expect(outageOf(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))?.what).toBe('the database');
		expect(outageOf(new Error('Connection terminated unexpectedly'))?.what).toBe('the database');
		expect(outageOf(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBeUndefined();
	});
});
