/**
 * Error codes of the public contract (PROTOCOL.md). Every HTTP error body and every failed socket ack
 * carries exactly one of these.
 */
export const ERROR_STATUS = {
	invalid_input: 400,
	unauthorized: 401,
	forbidden: 403,
	not_found: 404,
	method_not_allowed: 405,
	username_taken: 409,
	email_taken: 409,
	conflict: 409,
	already_friends: 409,
	gone: 410,
	precondition_failed: 412,
	payload_too_large: 413,
	quota_exceeded: 413,
	unsupported_media_type: 415,
	range_not_satisfiable: 416,
	invalid_code: 422,
	rate_limited: 429,
	internal: 500,
	not_implemented: 501,
	no_chat_node: 503,
	/** Extension: the server's disk for uploads is full; the upload keeps what it has and resumes once there is room. */
	insufficient_storage: 507,
	/** Extension: a part of the cluster the request needs (a call's media node) did not answer in time. */
	unavailable: 503
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
	code: ErrorCode;
	message: string;
	/** Only for `invalid_input`: field name to what is wrong with it. */
	fields?: Record<string, string>;
}

/** The shape of every HTTP error response. */
export interface ErrorResponse {
	error: ErrorBody;
}

export function isErrorResponse(value: unknown): value is ErrorResponse {
	return (
		typeof value === 'object' &&
		value !== null &&
		'error' in value &&
		typeof (value as ErrorResponse).error?.code === 'string'
	);
}
