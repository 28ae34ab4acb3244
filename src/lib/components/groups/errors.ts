import { NotConnectedError, RequestError } from '$lib/chat/connection';

/**
 * Where a refused group request's error goes: beside the field it names (the ack's `fields`, or a
 * message that starts with the field's name, as the server's validation messages do), else above the
 * form. The text is the server's own message, which is written for people.
 */
export function errorFor(error: unknown, fields: readonly string[]): { field: string | null; message: string } {
	if (error instanceof RequestError) {
		const named = fields.find((f) => error.fields?.[f]);
		if (named) return { field: named, message: error.fields![named] };
		const lower = error.message.toLowerCase();
		return { field: fields.find((f) => lower.startsWith(f.toLowerCase())) ?? null, message: error.message };
	}
	if (error instanceof NotConnectedError) return { field: null, message: 'Not connected: try again once the connection is back.' };
	return { field: null, message: error instanceof Error ? error.message : String(error) };
}
