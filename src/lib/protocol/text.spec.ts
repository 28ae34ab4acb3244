import { describe, expect, it } from 'vitest';
import { displayNameSchema, loginRequest } from './auth';
import { friendsRequestRequest } from './chat';
import { profileUpdateRequest } from './profile';
import { hasControlCharacters } from './text';

describe('hasControlCharacters', () => {
	it.each(['0000', '0009', '000a', '001f', '007f', '0080', '0085', '009f'])('finds U+%s', (hex) => {
		const c = String.fromCharCode(parseInt(hex, 16));
		expect(hasControlCharacters(`a${c}b`)).toBe(true);
	});

	it.each(['plain', 'Zoë', '\u00a0no-break space', '\u00a1', '日本', '😀', ''])('passes %j', (text) => {
		expect(hasControlCharacters(text)).toBe(false);
	});

	it('keeps the characters a field allows, and only those', () => {
		expect(hasControlCharacters('a\tb\nc', '\t\n')).toBe(false);
		expect(hasControlCharacters('a\rb', '\t\n')).toBe(true);
		expect(hasControlCharacters('a\u0085b', '\t\n\r')).toBe(true);
	});
});

// C1 (U+0080..U+009F) is refused wherever control characters are: PROTOCOL.md Conventions.
describe('the schemas refuse C1 as they refuse C0', () => {
	it.each(['0085', '0080', '009f', '001b'])('U+%s', (hex) => {
		const c = String.fromCharCode(parseInt(hex, 16));
		expect(displayNameSchema.safeParse(`a${c}b`).success).toBe(false);
		expect(profileUpdateRequest.safeParse({ bio: `a${c}b` }).success).toBe(false);
		expect(loginRequest.safeParse({ login: `a${c}b`, password: 'pw' }).success).toBe(false);
		expect(friendsRequestRequest.safeParse({ userId: 'someone', message: `a${c}b` }).success).toBe(false);
	});

	it('the bio still keeps tab, CR and LF; a friend request message tab and LF', () => {
		expect(profileUpdateRequest.safeParse({ bio: 'a\tb\r\nc' }).success).toBe(true);
		expect(friendsRequestRequest.safeParse({ userId: 'someone', message: 'a\tb\nc' }).success).toBe(true);
	});
});
