import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { describeError, humanSeconds, validateFields } from './forms';
import { loginRequest } from './protocol';

const apiError = (code: ConstructorParameters<typeof ApiError>[0]['code'], message: string, extra: { fields?: Record<string, string>; retryAfter?: number } = {}) =>
	new ApiError({ status: 400, code, message, ...extra });

describe('describeError', () => {
	it('puts invalid_input fields beside known fields and the rest in the banner', () => {
		const out = describeError(apiError('invalid_input', 'x', { fields: { code: 'the code is 6 digits', extra: 'is not a known field' } }), ['code']);
		expect(out).toEqual({ fields: { code: 'The code is 6 digits' }, form: 'Extra: is not a known field' });
	});

	it('maps the contract codes to their fields', () => {
		expect(describeError(apiError('username_taken', 'the username "a" is taken'), ['username']).fields).toEqual({ username: 'The username "a" is taken' });
		expect(describeError(apiError('email_taken', 'taken'), ['email']).fields).toEqual({ email: 'Taken' });
		expect(describeError(apiError('invalid_code', 'wrong code; 4 tries left'), ['code']).fields).toEqual({ code: 'Wrong code; 4 tries left' });
	});

	it('shows unauthorized and a field the form lacks in the banner', () => {
		expect(describeError(apiError('unauthorized', 'wrong username, email or password'), ['login', 'password'])).toEqual({ fields: {}, form: 'Wrong username, email or password' });
		expect(describeError(apiError('invalid_code', 'wrong code'), ['email']).form).toBe('Wrong code');
	});

	it('says how long to wait when rate limited', () => {
		const out = describeError(apiError('rate_limited', 'a code was sent to this email a moment ago; try again in 42 s', { retryAfter: 42 }), ['email']);
		expect(out.form).toBe('A code was sent to this email a moment ago. Try again in 42 seconds.');
		expect(humanSeconds(1)).toBe('1 second');
		expect(humanSeconds(900)).toBe('15 minutes');
	});

	it('never leaks a non-API error', () => {
		expect(describeError(new TypeError('x is undefined'), []).form).toBe('Something went wrong. Please try again.');
	});
});

describe('validateFields', () => {
	it('gives the shared schema’s messages, capitalised', () => {
		expect(validateFields(loginRequest, { login: ' ', password: '' })).toEqual({ login: 'Enter your username or email', password: 'Enter your password' });
		expect(validateFields(loginRequest, { login: 'ada', password: 'pw' })).toEqual({});
	});
});
