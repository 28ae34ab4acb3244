import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { availabilityQuery, loginRequest, passwordResetRequest, registerRequest, verificationRequest } from '../src/lib/protocol/index.js';
import { AppError } from './errors.js';
import { firstIllFormedString, isMissing, validate } from './validate.js';

/** The `invalid_input` error `validate` throws for `input`; fails the test if it accepts it. */
function refusal(schema: z.ZodType, input: unknown): AppError {
	try {
		validate(schema, input);
	} catch (error) {
		expect(error).toBeInstanceOf(AppError);
		return error as AppError;
	}
	throw new Error(`accepted ${JSON.stringify(input)}`);
}

const register = { username: 'alice', email: 'alice@example.test', password: 'long enough', code: '012345' };

describe('validate', () => {
	it('returns the parsed, trimmed value', () => {
		expect(validate(registerRequest, { ...register, username: ' alice ', email: ' alice@example.test ', code: ' 012345 ', displayName: ' Alice ' })).toEqual({
			...register,
			displayName: 'Alice'
		});
	});

	it('throws invalid_input (400) naming each bad field once, with its first problem', () => {
		const error = refusal(registerRequest, { username: 'a b', email: 'nope', password: 'short', code: '1' });
		expect(error.code).toBe('invalid_input');
		expect(error.status).toBe(400);
		expect(error.fields).toEqual({
			username: expect.any(String),
			email: 'enter a valid email address',
			password: 'at least 8 characters',
			code: 'the code is 6 digits'
		});
		expect(error.toBody()).toEqual({ code: 'invalid_input', message: expect.any(String), fields: error.fields });
	});

	it('says "is required" for a missing field', () => {
		expect(refusal(loginRequest, { login: 'alice' }).fields).toEqual({ password: 'is required' });
		expect(refusal(loginRequest, {}).fields).toEqual({ login: 'is required', password: 'is required' });
	});

	it('a field of the wrong type is not "is required": it gets the type problem', () => {
		const fields = refusal(loginRequest, { login: 42, password: ['pw'] }).fields!;
		expect(fields.login).not.toBe('is required');
		expect(fields.login).toMatch(/expected string, received number/);
		expect(fields.password).toMatch(/expected string, received array/);
		expect(refusal(loginRequest, { login: null, password: 'pw' }).fields!.login).toMatch(/received null/);
	});

	it('nested: a missing inner field is required, a wrong-typed one is not', () => {
		const schema = z.strictObject({ a: z.strictObject({ b: z.string() }) });
		expect(refusal(schema, { a: {} }).fields).toEqual({ 'a.b': 'is required' });
		expect(refusal(schema, { a: { b: 1 } }).fields!['a.b']).toMatch(/expected string/);
		expect(refusal(schema, {}).fields).toEqual({ a: 'is required' });
	});

	it('refuses a lone surrogate anywhere, naming its field', () => {
		expect(refusal(loginRequest, { login: 'a\ud800', password: 'pw' }).fields).toEqual({ login: 'is not valid Unicode text (it holds a lone surrogate)' });
		const schema = z.strictObject({ list: z.array(z.strictObject({ text: z.string() })) });
		const error = refusal(schema, { list: [{ text: 'fine' }, { text: '\udc00x' }] });
		expect(error.fields).toEqual({ 'list.1.text': expect.stringMatching(/not valid Unicode/) });
		expect(error.message).toBe('list.1.text: is not valid Unicode text');
		expect(refusal(z.record(z.string(), z.number()), { ['k\ud800']: 1 }).fields).toEqual({ 'k\ud800': expect.any(String) });
		expect(validate(loginRequest, { login: 'a😀', password: '\ud83d\ude00' })).toEqual({ login: 'a😀', password: '😀' });
	});

	it('its message names the first field and its problem', () => {
		expect(refusal(loginRequest, { login: 'alice' }).message).toBe('password: is required');
	});

	it('calls every unknown key "not a known field"', () => {
		expect(refusal(loginRequest, { login: 'a', password: 'b', remember: true, admin: 1 }).fields).toEqual({
			remember: 'is not a known field',
			admin: 'is not a known field'
		});
	});

	it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])('reports an unknown key named %s', (name) => {
		const input = JSON.parse(`{"login": "a", "password": "b", "${name}": 1}`);
		const error = refusal(loginRequest, input);
		expect(Object.keys(error.fields!)).toEqual([name]);
		expect(error.fields![name]).toBe('is not a known field');
		expect(JSON.parse(JSON.stringify(error.toBody())).fields).toEqual(JSON.parse(`{"${name}": "is not a known field"}`));
	});

	it.each([
		['null', null],
		['an array', []],
		['a string', 'x'],
		['a number', 1],
		['undefined', undefined]
	])('refuses %s where an object belongs, under "_"', (_label, input) => {
		const error = refusal(loginRequest, input);
		expect(Object.keys(error.fields!)).toEqual(['_']);
		expect(error.message).toMatch(/^input: /);
	});

	it('nested paths are joined with dots', () => {
		const schema = z.object({ profile: z.object({ name: z.string() }) });
		expect(refusal(schema, { profile: { name: 1 } }).fields).toEqual({ 'profile.name': expect.any(String) });
	});

	it('a refinement without a path lands under "_"', () => {
		const schema = z.object({ a: z.string() }).refine(() => false, { message: 'never' });
		expect(refusal(schema, { a: 'x' }).fields).toEqual({ _: 'never' });
	});
});

describe('the protocol schemas, through validate', () => {
	it('verification: purpose is register or reset', () => {
		expect(validate(verificationRequest, { email: 'a@example.test', purpose: 'reset' })).toEqual({ email: 'a@example.test', purpose: 'reset' });
		expect(Object.keys(refusal(verificationRequest, { email: 'a@example.test', purpose: 'delete' }).fields!)).toEqual(['purpose']);
	});

	it('availability: one of username and email is needed', () => {
		expect(validate(availabilityQuery, { username: 'bob' })).toEqual({ username: 'bob' });
		expect(validate(availabilityQuery, { email: 'b@example.test' })).toEqual({ email: 'b@example.test' });
		expect(refusal(availabilityQuery, {}).fields).toEqual({ username: 'give username, email or both' });
	});

	it.each([
		['abc', true],
		['a'.repeat(32), true],
		['A.b-c_9', true],
		['ab', false],
		['a'.repeat(33), false],
		['a b', false],
		['émile', false],
		['bob@home', false],
		["bob'--", false],
		['<b>x</b>', false]
	])('username %j is %s', (username, ok) => {
		const result = registerRequest.safeParse({ ...register, username });
		expect(result.success).toBe(ok);
	});

	it.each([
		['x'.repeat(8), true],
		['x'.repeat(256), true],
		['        ', true],
		['x'.repeat(7), false],
		['x'.repeat(257), false]
	])('password of %#: %s (spaces count, nothing is trimmed)', (password, ok) => {
		expect(registerRequest.safeParse({ ...register, password }).success).toBe(ok);
	});

	it.each([
		['Alice', true],
		['😀'.repeat(32), true],
		['<script>alert(1)</script>', true],
		['', false],
		['   ', false],
		['d'.repeat(65), false],
		['tab\there', false],
		['nul\u0000', false],
		['del\u007f', false]
	])('displayName %j is %s', (displayName, ok) => {
		expect(registerRequest.safeParse({ ...register, displayName }).success).toBe(ok);
	});

	it.each([
		['000000', true],
		[' 123456 ', true],
		['12345', false],
		['1234567', false],
		['12 456', false],
		['١٢٣٤٥٦', false]
	])('code %j is %s', (code, ok) => {
		expect(passwordResetRequest.safeParse({ email: 'a@example.test', code, password: 'long enough' }).success).toBe(ok);
	});

	it.each([
		['alice', true],
		['alice@example.test', true],
		['  alice  ', true],
		["' OR 1=1 --", true],
		['', false],
		['   ', false],
		['a\u0000b', false],
		['a\nb', false],
		['l'.repeat(255), false]
	])('login %j is %s', (login, ok) => {
		expect(loginRequest.safeParse({ login, password: 'x' }).success).toBe(ok);
	});
});

describe('isMissing', () => {
	it('tells an absent key or undefined from any other value', () => {
		expect(isMissing({}, ['a'])).toBe(true);
		expect(isMissing({ a: undefined }, ['a'])).toBe(true);
		expect(isMissing({ a: null }, ['a'])).toBe(false);
		expect(isMissing({ a: 0 }, ['a'])).toBe(false);
		expect(isMissing({ a: { b: '' } }, ['a', 'b'])).toBe(false);
		expect(isMissing({ a: 'text' }, ['a', 'b'])).toBe(true);
		expect(isMissing([1, 2], [1])).toBe(false);
		expect(isMissing([1, 2], [2])).toBe(true);
		expect(isMissing(undefined, [])).toBe(true);
	});

	it('does not find inherited members', () => {
		expect(isMissing({}, ['constructor'])).toBe(true);
		expect(isMissing({}, ['toString'])).toBe(true);
	});
});

describe('firstIllFormedString', () => {
	it('finds none in well-formed input', () => {
		expect(firstIllFormedString({ a: ['x', { b: '😀' }], n: 1, z: null })).toBeNull();
	});

	it('walks 100,000 levels without overflowing the stack', () => {
		let deep: unknown = '\ud800';
		for (let i = 0; i < 100_000; i++) deep = [deep];
		expect(firstIllFormedString(deep)).toBe(Array(100_000).fill('0').join('.'));
	});
});
