import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { allowOrigins } from './origin.js';

function check(origins: string[], origin?: string): { err: string | null | undefined; success: boolean } {
	let result: { err: string | null | undefined; success: boolean } | undefined;
	const req = { headers: origin === undefined ? {} : { origin } } as IncomingMessage;
	allowOrigins(origins)(req, (err, success) => (result = { err, success }));
	return result!;
}

describe('allowOrigins', () => {
	const origins = ['https://chat.example.com', 'http://localhost:5173'];

	it('allows the configured origins and requests without an Origin', () => {
		expect(check(origins, 'https://chat.example.com')).toEqual({ err: null, success: true });
		expect(check(origins, 'http://localhost:5173')).toEqual({ err: null, success: true });
		expect(check(origins)).toEqual({ err: null, success: true });
	});

	it('refuses every other origin, look-alikes and null included, naming it', () => {
		expect(check(origins, 'https://evil.example')).toEqual({ err: 'origin https://evil.example may not open the chat socket (CORS_ORIGINS)', success: false });
		for (const origin of ['null', 'http://chat.example.com', 'https://chat.example.com:8443', 'https://chat.example.com.evil.example', 'https://CHAT.example.com', 'http://localhost:5174', '']) {
			expect(check(origins, origin).success, origin).toBe(false);
		}
	});
});
