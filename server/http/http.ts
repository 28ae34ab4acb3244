import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../errors.js';

/** What a route handler gets. */
export interface HttpContext {
	req: IncomingMessage;
	url: URL;
	/** The client's address (X-Forwarded-For's first hop when TRUST_PROXY is on). */
	ip: string;
	/** Reads and parses the JSON body (at most `maxBodyBytes`); `{}` when there is none. */
	json(): Promise<unknown>;
	cookies: Record<string, string>;
	/** Values of the route's `:name` segments, decoded (`/api/files/:id` gives `{ id }`). */
	params: Record<string, string>;
}

/** What a route handler returns. */
export interface HttpResult {
	status: number;
	body?: unknown;
	headers?: Record<string, string | string[]>;
}

export type RouteHandler = (ctx: HttpContext) => Promise<HttpResult>;

export interface Route {
	method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
	/** An exact path, or one with `:name` segments that each match one non-empty path segment. */
	path: string;
	handler: RouteHandler;
}

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The client went away before its request body arrived (closed the connection, or aborted the fetch).
 * Nobody is left to answer, and it is no bug of ours: the router logs a debug line, not an error.
 */
export class RequestAborted extends Error {
	constructor() {
		super('the client aborted the request body');
		this.name = 'RequestAborted';
	}
}

// Fatal: a body that is not UTF-8 is refused, not read with U+FFFD in place of its bad bytes (which
// would then be stored as if the client had sent them). ignoreBOM keeps a BOM, which JSON refuses.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Reads the body of `req` as JSON (at most `maxBytes`, UTF-8); `{}` when there is none. */
export async function readJson(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
	const declared = Number(req.headers['content-length'] ?? 0);
	if (declared > maxBytes) throw new AppError('payload_too_large', `the request body is over ${maxBytes} bytes`);
	const chunks: Buffer[] = [];
	let size = 0;
	try {
		for await (const chunk of req) {
			size += (chunk as Buffer).length;
			if (size > maxBytes) throw new AppError('payload_too_large', `the request body is over ${maxBytes} bytes`);
			chunks.push(chunk as Buffer);
		}
	} catch (error) {
		if (error instanceof AppError) throw error;
		if (req.destroyed || (error as NodeJS.ErrnoException).code === 'ECONNRESET') throw new RequestAborted();
		throw error;
	}
	// A backstop: an aborted body normally ends the loop above with ECONNRESET.
	if (req.complete === false) throw new RequestAborted();
	if (size === 0) return {};
	const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
	if (type !== 'application/json') {
		throw new AppError('unsupported_media_type', `send the body as application/json, not "${type || 'nothing'}"`);
	}
	let text: string;
	try {
		text = utf8.decode(Buffer.concat(chunks));
	} catch {
		throw new AppError('invalid_input', 'the request body is not valid UTF-8');
	}
	try {
		return JSON.parse(text);
	} catch {
		throw new AppError('invalid_input', 'the request body is not valid JSON');
	}
}

export function parseCookies(header: string | undefined): Record<string, string> {
	const out: Record<string, string> = {};
	if (!header) return out;
	for (const part of header.split(';')) {
		const eq = part.indexOf('=');
		if (eq < 0) continue;
		const name = part.slice(0, eq).trim();
		if (!name || name in out) continue;
		try {
			out[name] = decodeURIComponent(part.slice(eq + 1).trim());
		} catch {
			out[name] = part.slice(eq + 1).trim();
		}
	}
	return out;
}

export function clientIp(req: IncomingMessage, trustProxy: boolean): string {
	if (trustProxy) {
		const forwarded = String(req.headers['x-forwarded-for'] ?? '').split(',')[0].trim();
		if (forwarded) return forwarded;
	}
	return req.socket.remoteAddress ?? 'unknown';
}

export function send(res: ServerResponse, result: HttpResult): void {
	const headers: Record<string, string | string[]> = { 'cache-control': 'no-store', ...result.headers };
	if (result.body === undefined) {
		res.writeHead(result.status, headers).end();
		return;
	}
	const text = JSON.stringify(result.body);
	res
		.writeHead(result.status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
		.end(text);
}
