import type { Generated } from 'kysely';

/** A browser's Web Push subscription (migration 0012). */
export interface PushSubscriptionsTable {
	id: string;
	user_id: string;
	/** The push service's URL for this browser (secret-ish: whoever knows it and the keys can push). */
	endpoint: string;
	/** sha256 of `endpoint` (hex): unique, as MySQL cannot index long text. */
	endpoint_hash: string;
	/** The browser's P-256 public key and auth secret (base64url), for RFC 8291 encryption. */
	p256dh: string;
	auth: string;
	/** "Chrome on Linux": how Settings names the device. */
	label: string;
	/** 1: pushes to this device say who wrote, not what (an integer: SQLite binds no booleans). */
	hide_previews: Generated<number>;
	created_at: string;
}
