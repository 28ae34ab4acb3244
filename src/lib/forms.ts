import { tick } from 'svelte';
import type { z } from 'zod';
import { ApiError, type ClientErrorCode } from '$lib/api';
import { CODE_USED_UP } from '$lib/protocol';

/** The contract allows one code per email per minute; the resend button waits this long unless the server says otherwise. */
export const RESEND_SECONDS = 60;

/** Field name to the message shown beside that field. */
export type FieldErrors = Record<string, string>;

/** What a form shows after a failure: messages beside fields, and one banner for the rest. */
export interface FormErrors {
	fields: FieldErrors;
	form: string;
}

/** Where the contract's field-specific codes belong, unless a form says otherwise. */
const CODE_FIELDS: Partial<Record<ClientErrorCode, string>> = {
	username_taken: 'username',
	email_taken: 'email',
	invalid_code: 'code'
};

/** Whether a failed request says the code was used up by wrong tries: a new one may be asked for at once. */
export function isCodeUsedUp(error: unknown): boolean {
	return error instanceof ApiError && error.code === 'invalid_code' && error.message === CODE_USED_UP;
}

/** Capitalises the server's lower-case messages for display. */
export function sentence(text: string): string {
	return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "1 second", "42 seconds", "15 minutes". */
export function humanSeconds(seconds: number): string {
	if (seconds < 60) return `${seconds} ${seconds === 1 ? 'second' : 'seconds'}`;
	const minutes = Math.ceil(seconds / 60);
	return `${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`;
}

/** Checks input with the same schema the server uses, so both give the same messages. */
export function validateFields(schema: z.ZodType, input: unknown): FieldErrors {
	const result = schema.safeParse(input);
	const fields: FieldErrors = {};
	if (result.success) return fields;
	for (const issue of result.error.issues) {
		const name = issue.path.join('.') || '_';
		fields[name] ??= sentence(issue.message);
	}
	return fields;
}

/**
 * Turns a failed request into form errors. `known` lists the form's field names: a problem with any
 * other field goes to the banner, so no message is ever lost.
 */
export function describeError(error: unknown, known: readonly string[], fieldFor: Partial<Record<ClientErrorCode, string>> = {}): FormErrors {
	const out: FormErrors = { fields: {}, form: '' };
	if (!(error instanceof ApiError)) {
		out.form = 'Something went wrong. Please try again.';
		return out;
	}
	if (error.code === 'invalid_input' && error.fields) {
		for (const [name, message] of Object.entries(error.fields)) {
			if (known.includes(name)) out.fields[name] = sentence(message);
			else out.form ||= sentence(`${name}: ${message}`);
		}
		if (Object.keys(out.fields).length > 0 || out.form) return out;
	}
	const field = { ...CODE_FIELDS, ...fieldFor }[error.code];
	if (field && known.includes(field)) {
		out.fields[field] = sentence(error.message);
	} else if (error.code === 'rate_limited' && error.retryAfter) {
		const reason = error.message.replace(/;?\s*try again in \d+ s\.?$/i, '');
		out.form = `${sentence(reason)}. Try again in ${humanSeconds(error.retryAfter)}.`;
	} else {
		out.form = sentence(error.message);
	}
	return out;
}

/** After the DOM shows new errors, moves focus to the first field marked invalid inside `root`. */
export async function focusFirstInvalid(root: HTMLElement | undefined): Promise<void> {
	await tick();
	root?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}
