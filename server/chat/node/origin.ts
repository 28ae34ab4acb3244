import type { IncomingMessage } from 'node:http';

/** socket.io's `allowRequest` hook: `callback(error message, allowed)`. */
export type AllowRequest = (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void) => void;

/**
 * The chat socket's Origin check (socket.io's `allowRequest`, which engine.io runs on every new
 * connection: the WebSocket upgrade as well as the first polling request). socket.io's `cors` option
 * only sets response headers for polling, and a browser never applies CORS to a WebSocket, so without
 * this any web page could open a socket to the node from its visitors' browsers (issue 10, item 4).
 *
 * - An `Origin` in `origins` (`CORS_ORIGINS`, default the origin of `PUBLIC_URL`) is allowed.
 * - Any other `Origin`, `null` included (sandboxed frames, `file:` pages), is refused with 403.
 * - A request without `Origin` is allowed: browsers always send it on a WebSocket handshake and on a
 *   cross-origin request, so only non-browser clients (native apps, the bench, the tests, curl) and
 *   same-origin polling omit it, and a non-browser client could send any `Origin` it likes anyway.
 *   The check is there for browsers, which cannot be made to lie about it.
 *
 * @param origins allowed origins, as `config.corsOrigins` gives them (`scheme://host[:port]`, no slash)
 */
export function allowOrigins(origins: readonly string[]): AllowRequest {
	const allowed = new Set(origins);
	return (req, callback) => {
		const origin = req.headers.origin;
		if (origin === undefined || allowed.has(origin)) return callback(null, true);
		callback(`origin ${origin.slice(0, 200)} may not open the chat socket (CORS_ORIGINS)`, false);
	};
}
