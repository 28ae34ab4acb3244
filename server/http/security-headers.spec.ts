import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { BASELINE_CSP, connectSources, securityHeaders, widenConnectSrc } from './security-headers.js';

describe('securityHeaders', () => {
	it('sends HSTS only when PUBLIC_URL is https', () => {
		expect(securityHeaders({ publicUrl: 'https://chat.example.org' }).headers['Strict-Transport-Security']).toBe('max-age=31536000; includeSubDomains');
		expect(securityHeaders({ publicUrl: 'http://localhost:3000' }).headers).not.toHaveProperty('Strict-Transport-Security');
	});

	it('gives the baseline headers, and a later setHeader of a page policy widens its connect-src', () => {
		const res = new http.ServerResponse(new http.IncomingMessage(null as never));
		const security = securityHeaders({ publicUrl: 'http://localhost:3000', chatOrigins: ['http://127.0.0.1:*'] });
		security.apply(res);
		security.forPage(res);
		expect(res.getHeader('x-content-type-options')).toBe('nosniff');
		expect(res.getHeader('x-frame-options')).toBe('DENY');
		expect(res.getHeader('referrer-policy')).toBe('same-origin');
		// The baseline has no connect-src: left alone.
		expect(res.getHeader('content-security-policy')).toBe(BASELINE_CSP);
		res.setHeader('Content-Security-Policy', "default-src 'self'; connect-src 'self'; frame-ancestors 'none'");
		expect(res.getHeader('content-security-policy')).toBe("default-src 'self'; connect-src 'self' http://127.0.0.1:* ws://127.0.0.1:*; frame-ancestors 'none'");
	});
});

describe('connect-src', () => {
	it('pairs each origin with its WebSocket twin', () => {
		expect(connectSources(['https://*.example.org', 'http://localhost:3001'])).toEqual(['https://*.example.org', 'wss://*.example.org', 'http://localhost:3001', 'ws://localhost:3001']);
	});

	it('adds sources to connect-src only', () => {
		expect(widenConnectSrc("default-src 'self';connect-src 'self'", ['https://a.test'])).toBe("default-src 'self'; connect-src 'self' https://a.test");
		expect(widenConnectSrc("default-src 'self'", ['https://a.test'])).toBe("default-src 'self'");
		expect(widenConnectSrc("default-src 'self'; connect-src 'self'", [])).toBe("default-src 'self'; connect-src 'self'");
	});
});
