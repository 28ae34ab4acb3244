import { describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../src/lib/protocol/index.js';
import { AppError, invalidInput, rateLimited } from './errors.js';

describe('AppError', () => {
	it.each(Object.entries(ERROR_STATUS))('%s has status %i', (code, status) => {
		const error = new AppError(code as keyof typeof ERROR_STATUS, 'why');
		expect(error.status).toBe(status);
		expect(error.toBody()).toEqual({ code, message: 'why' });
	});

	it('the contract statuses', () => {
		expect(ERROR_STATUS).toMatchObject({
			invalid_input: 400,
			unauthorized: 401,
			forbidden: 403,
			not_found: 404,
			username_taken: 409,
			email_taken: 409,
			payload_too_large: 413,
			invalid_code: 422,
			rate_limited: 429,
			no_chat_node: 503
		});
	});

	it('a status can be overridden', () => {
		expect(new AppError('not_found', 'x', { status: 410 }).status).toBe(410);
	});

	it('the body never carries the stack', () => {
		const body = JSON.stringify(new AppError('forbidden', 'no').toBody());
		expect(body).not.toContain('at ');
		expect(body).not.toContain('stack');
	});

	it('invalidInput carries its fields into the body', () => {
		const error = invalidInput({ email: 'enter a valid email address' });
		expect(error.status).toBe(400);
		expect(error.toBody()).toEqual({ code: 'invalid_input', message: 'some fields are not valid', fields: { email: 'enter a valid email address' } });
	});
});

describe('rateLimited', () => {
	it.each([
		[0, 1],
		[0.001, 1],
		[1, 1],
		[1.2, 2],
		[59.9, 60],
		[900, 900],
		[-5, 1]
	])('%f s becomes Retry-After %i (whole seconds, rounded up, at least 1)', (seconds, header) => {
		const error = rateLimited(seconds, 'slow down');
		expect(error.status).toBe(429);
		expect(error.code).toBe('rate_limited');
		expect(error.retryAfter).toBe(header);
		expect(error.message).toBe(`slow down; try again in ${header} s`);
	});
});
