import type { Message, Thread, UserCard } from '$lib/protocol';

/** Longest preview shown in a notification, in code points. */
export const PREVIEW_MAX = 120;

/**
 * A notification's title and body for `message`: the sender ("Alice", or "Alice in Hikers" in a
 * group) and a preview of the text, or only that something came when previews are hidden.
 */
export function notificationText(message: Message, thread: Thread, options: { hidePreviews: boolean; sender?: UserCard }): { title: string; body: string } {
	const sender = options.sender ?? thread.members.find((m) => m.id === message.senderId);
	const name = sender?.displayName ?? 'Someone';
	const title = thread.kind === 'group' ? `${name} in ${thread.title ?? 'a group'}` : name;
	if (options.hidePreviews) return { title, body: 'New message' };
	return { title, body: previewOf(message) };
}

/** A message as one short line. */
export function previewOf(message: Message): string {
	if (message.kind === 'file') return message.file && 'name' in message.file && message.file.name ? `Sent a file: ${message.file.name}` : 'Sent a file';
	const text = (message.text ?? '').replace(/\s+/g, ' ').trim();
	const points = [...text];
	return points.length > PREVIEW_MAX ? `${points.slice(0, PREVIEW_MAX - 1).join('')}…` : text || 'New message';
}
