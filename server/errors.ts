import { ERROR_STATUS, type ErrorBody, type ErrorCode } from '../src/lib/protocol/errors.js';

/**
 * The one error type the edges understand. Anything else that reaches an edge is a bug: it is logged
 * and answered as a 500 `internal`, never with its message or stack.
 */
export class AppError extends Error {
	readonly status: number;
	readonly code: ErrorCode;
	readonly fields?: Record<string, string>;
	/** Seconds, for `rate_limited`. */
	readonly retryAfter?: number;

	constructor(code: ErrorCode, message: string, options: { fields?: Record<string, string>; retryAfter?: number; status?: number } = {}) {
		super(message);
		this.name = 'AppError';
		this.code = code;
		this.status = options.status ?? ERROR_STATUS[code];
		this.fields = options.fields;
		this.retryAfter = options.retryAfter;
	}

	toBody(): ErrorBody {
		return this.fields ? { code: this.code, message: this.message, fields: this.fields } : { code: this.code, message: this.message };
	}
}

export function invalidInput(fields: Record<string, string>, message = 'some fields are not valid'): AppError {
	return new AppError('invalid_input', message, { fields });
}

export function rateLimited(retryAfterSeconds: number, message: string): AppError {
	const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
	return new AppError('rate_limited', `${message}; try again in ${seconds} s`, { retryAfter: seconds });
}
