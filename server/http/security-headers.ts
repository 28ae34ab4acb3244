import type { ServerResponse } from 'node:http';

/**
 * The Content-Security-Policy of every answer that is not a page (JSON, files, static assets, the
 * socket's polling): nothing may load, nothing may frame it. Pages get SvelteKit's own policy
 * (`kit.csp` in svelte.config.js, with a nonce for its inline bootstrap script), which replaces this
 * one; downloads send their own stricter `sandbox` one.
 */
export const BASELINE_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export interface SecurityHeadersOptions {
	/** `PUBLIC_URL`: when it is https, answers carry HSTS (browsers ignore it over http anyway). */
	publicUrl: string;
	/**
	 * `CHAT_ORIGINS`: added, with their ws(s) twins, to the `connect-src` of a page's policy, so the app
	 * may open its socket on chat nodes that are other origins. Default none.
	 */
	chatOrigins?: readonly string[];
}

export interface SecurityHeaders {
	/** The headers every answer carries, CSP included (the baseline). */
	readonly headers: Readonly<Record<string, string>>;
	/** Sets `headers` on a response before anything else writes it; what the handler sets later (a page's CSP, a download's) wins. */
	apply(res: ServerResponse): void;
	/**
	 * For a response the web app (SvelteKit) answers: with chat origins, widens the `connect-src` of the
	 * page policy it sets later. Only pages' policies have a connect-src, so nothing else needs it.
	 */
	forPage(res: ServerResponse): void;
}

/** Builds the security headers of one process from its config (see docs/PROTOCOL.md, Security headers). */
export function securityHeaders(options: SecurityHeadersOptions): SecurityHeaders {
	const headers: Record<string, string> = {
		'X-Content-Type-Options': 'nosniff',
		// Old browsers that do not know frame-ancestors; the CSP says the same.
		'X-Frame-Options': 'DENY',
		// Nothing leaves for other origins (links in messages, chat nodes), and unlike no-referrer, browsers
		// keep sending the real Origin on same-origin POSTs, which origin checks rely on.
		'Referrer-Policy': 'same-origin',
		'Content-Security-Policy': BASELINE_CSP
	};
	if (new URL(options.publicUrl).protocol === 'https:') headers['Strict-Transport-Security'] = 'max-age=31536000; includeSubDomains';
	const connect = connectSources(options.chatOrigins ?? []);
	return Object.freeze({
		headers: Object.freeze(headers),
		apply(res: ServerResponse) {
			for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
		},
		forPage(res: ServerResponse) {
			if (connect.length === 0) return;
			// SvelteKit (adapter-node's setResponse) sets a page's policy with setHeader; its connect-src is
			// fixed at build time, the chat nodes' origins are known only here.
			const setHeader = res.setHeader.bind(res);
			res.setHeader = ((name: string, value: number | string | readonly string[]) =>
				setHeader(name, name.toLowerCase() === 'content-security-policy' && typeof value === 'string' ? widenConnectSrc(value, connect) : value)) as ServerResponse['setHeader'];
		}
	});
}

/** `https://x` gives `https://x wss://x`; `http://x` gives `http://x ws://x` (socket.io polls, then upgrades). */
export function connectSources(origins: readonly string[]): string[] {
	return origins.flatMap((origin) => [origin, origin.replace(/^http/, 'ws')]);
}

/** Adds sources to a policy's `connect-src`; a policy without one is left as it is (it is not a page's). */
export function widenConnectSrc(policy: string, sources: readonly string[]): string {
	if (sources.length === 0 || !/(^|;)\s*connect-src(\s|;|$)/i.test(policy)) return policy;
	return policy
		.split(';')
		.map((directive) => directive.trim())
		.filter(Boolean)
		.map((directive) => (/^connect-src(\s|$)/i.test(directive) ? `${directive} ${sources.join(' ')}` : directive))
		.join('; ');
}
