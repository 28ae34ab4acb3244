import { isErrorResponse, type ErrorCode } from '$lib/protocol';

/** Codes the client adds for failures that never reached (or never came back from) the server. */
export type ClientErrorCode = ErrorCode | 'network';

/** A failed API call: the contract's error body, plus Retry-After for `rate_limited`. */
export class ApiError extends Error {
	readonly status: number;
	readonly code: ClientErrorCode;
	readonly fields?: Record<string, string>;
	/** Seconds to wait, from the Retry-After header (only for `rate_limited`). */
	readonly retryAfter?: number;

	constructor(options: { status: number; code: ClientErrorCode; message: string; fields?: Record<string, string>; retryAfter?: number }) {
		super(options.message);
		this.name = 'ApiError';
		this.status = options.status;
		this.code = options.code;
		this.fields = options.fields;
		this.retryAfter = options.retryAfter;
	}
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Calls Parley's API with the session cookie and a JSON body. Resolves with the parsed body (undefined
 * for 204); rejects with an ApiError for any non-2xx answer or a network failure.
 */
export async function request<T>(method: Method, path: string, options: { body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
	let res: Response;
	try {
		res = await fetch(path, {
			method,
			credentials: 'same-origin',
			headers: options.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
			body: options.body === undefined ? undefined : JSON.stringify(options.body),
			signal: options.signal
		});
	} catch (error) {
		if (options.signal?.aborted) throw error;
		throw new ApiError({ status: 0, code: 'network', message: 'Parley could not be reached. Check your connection and try again.' });
	}
	const text = await res.text().catch(() => '');
	const body: unknown = text ? safeParse(text) : undefined;
	if (res.ok) return body as T;
	if (isErrorResponse(body)) {
		const retry = Number(res.headers.get('retry-after'));
		throw new ApiError({
			status: res.status,
			code: body.error.code,
			message: body.error.message,
			fields: body.error.fields,
			retryAfter: Number.isFinite(retry) && retry > 0 ? retry : undefined
		});
	}
	throw new ApiError({ status: res.status, code: 'internal', message: `the server answered ${res.status} ${res.statusText}`.trim() });
}

function safeParse(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

export const api = {
	get: <T>(path: string, options?: { signal?: AbortSignal }) => request<T>('GET', path, options),
	post: <T = void>(path: string, body?: unknown, options?: { signal?: AbortSignal }) => request<T>('POST', path, { body, ...options }),
	patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body })
};
