import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../errors.js';
import { outageOf } from '../outages.js';
import type { Logger } from '../logger.js';
import { clientIp, parseCookies, readJson, RequestAborted, send, type HttpContext, type Route } from './http.js';
import { RouteTable } from './routes.js';

/**
 * Dispatches `/api` and `/healthz` requests from a table of routes. Returns false for any other path so
 * the caller can hand the request on (to the web app). Errors become the contract's error body; an
 * error that is not an `AppError` is a bug, logged and answered as a bare 500.
 */
export function createRouter(options: { routes: Route[]; trustProxy: boolean; log: Logger }) {
	const table = new RouteTable(options.routes);
	const log = options.log;

	return async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
		const url = new URL(req.url ?? '/', 'http://localhost');
		if (!url.pathname.startsWith('/api/') && url.pathname !== '/healthz') return false;
		const method = req.method ?? 'GET';
		try {
			const found = table.find(method === 'HEAD' ? 'GET' : method, url.pathname);
			if (!('route' in found)) {
				const { allowed } = found;
				if (allowed.length > 0) {
					send(res, { status: 405, headers: { allow: allowed.join(', ') }, body: { error: { code: 'method_not_allowed', message: `${method} is not allowed on ${url.pathname}; use ${allowed.join(' or ')}` } } });
					return true;
				}
				throw new AppError('not_found', `no API route ${method} ${url.pathname}`);
			}
			const ctx: HttpContext = {
				req,
				url,
				ip: clientIp(req, options.trustProxy),
				json: () => readJson(req),
				cookies: parseCookies(req.headers.cookie),
				params: found.params
			};
			send(res, await found.route.handler(ctx));
		} catch (caught) {
			const outage = outageOf(caught);
			if (outage) log.warn(`${method} ${url.pathname} refused: ${outage.what} is unreachable (${(caught as Error).message})`);
			const error = outage ? outage.error : caught;
			if (error instanceof AppError) {
				const headers: Record<string, string> = {};
				if (error.retryAfter !== undefined) headers['retry-after'] = String(error.retryAfter);
				// The body may be unread (e.g. 413): close so the client is not left writing into nothing.
				if (error.status === 413) headers.connection = 'close';
				send(res, { status: error.status, headers, body: { error: error.toBody() } });
			} else if (error instanceof RequestAborted) {
				log.debug(`${method} ${url.pathname}: ${error.message}`);
				res.destroy();
			} else {
				log.error(`${method} ${url.pathname} failed`, error);
				if (!res.headersSent) send(res, { status: 500, body: { error: { code: 'internal', message: 'something went wrong on the server; it has been logged' } } });
				else res.destroy();
			}
		}
		return true;
	};
}
