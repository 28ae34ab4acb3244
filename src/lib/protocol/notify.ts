import { z } from 'zod';
import { CHAT_LIMITS } from './chat';

// Notifications (docs/PROTOCOL.md, "Notifications"): muting a thread, and Web Push subscriptions.

/** `mutedUntil` of a thread muted "until I unmute". */
export const MUTED_FOREVER = '9999-12-31T23:59:59.999Z';

/** Longest a timed mute may last (a longer one is "forever"). */
export const MUTE_MAX_MS = 366 * 24 * 3600 * 1000;

export const threadsMuteRequest = z.strictObject({
	threadId: z
		.string({ message: 'threadId must be a string' })
		.min(1, { message: 'threadId must not be empty' })
		.max(CHAT_LIMITS.idMax, { message: `threadId is at most ${CHAT_LIMITS.idMax} characters` }),
	until: z.union([z.literal('forever'), z.null(), z.iso.datetime({ message: 'until is an ISO 8601 time in UTC (2026-12-07T18:00:00Z), "forever" or null' })], {
		message: 'until is an ISO 8601 time in UTC (2026-12-07T18:00:00Z), "forever" or null'
	})
});
export type ThreadsMuteRequest = z.input<typeof threadsMuteRequest>;

const base64url = (what: string, min: number, max: number) =>
	z
		.string({ message: `${what} must be a string` })
		.min(min, { message: `${what} is at least ${min} characters` })
		.max(max, { message: `${what} is at most ${max} characters` })
		.regex(/^[A-Za-z0-9_-]+={0,2}$/, { message: `${what} is base64url (as PushSubscription.toJSON gives it)` });

/** A browser's PushSubscription (its `toJSON()`), with this device's name and preview choice. */
export const pushSubscribeRequest = z.strictObject({
	endpoint: z
		.string({ message: 'endpoint must be a string' })
		.max(2000, { message: 'endpoint is at most 2000 characters' })
		.refine(
			(s) => {
				try {
					const url = new URL(s);
					return url.protocol === 'https:' || url.protocol === 'http:';
				} catch {
					return false;
				}
			},
			{ message: 'endpoint is the push service URL (http or https) of a PushSubscription' }
		),
	keys: z.strictObject(
		{
			// An uncompressed P-256 point is 65 bytes (87 characters of base64url); the auth secret 16 (22).
			p256dh: base64url('keys.p256dh', 80, 100),
			auth: base64url('keys.auth', 16, 32)
		},
		{ message: 'keys must be an object with p256dh and auth' }
	),
	/** Shown in Settings' list of devices: "Firefox on Linux". 1 to 100 characters. */
	label: z.string({ message: 'label must be a string' }).trim().min(1, { message: 'label must not be empty' }).max(100, { message: 'label is at most 100 characters' }),
	/** Pushes to this device say who wrote, not what. */
	hidePreviews: z.boolean({ message: 'hidePreviews must be true or false' }).optional()
});
export type PushSubscribeRequest = z.input<typeof pushSubscribeRequest>;

export const pushUnsubscribeRequest = z.strictObject({ endpoint: z.string({ message: 'endpoint must be a string' }).min(1, { message: 'endpoint must not be empty' }).max(2000, { message: 'endpoint is at most 2000 characters' }) });
export type PushUnsubscribeRequest = z.input<typeof pushUnsubscribeRequest>;

/** `push:key`: the server's VAPID public key (base64url), for `PushManager.subscribe`'s `applicationServerKey`. */
export interface PushKeyResponse {
	publicKey: string;
}

/** `presence:visibility`: whether this socket's page is hidden (a background tab). */
export const presenceVisibilityRequest = z.strictObject({ hidden: z.boolean({ message: 'hidden must be true or false' }) });
export type PresenceVisibilityRequest = z.input<typeof presenceVisibilityRequest>;

/** What a push message carries (JSON, encrypted for the subscription). */
export interface PushPayload {
	threadId: string;
	/** "Alice", or "Alice in Hikers". */
	title: string;
	/** The preview, or "New message" when the subscription hides previews. */
	body: string;
}
