// Stream keys (docs/PROTOCOL.md, "Stream keys"): the per-user secret OBS or ffmpeg gives the RTMP
// server to publish a live stream as that user. Shown once, stored hashed, replaced to revoke.

/**
 * A stream key is 32 random bytes in base64url without padding: 43 characters of `A-Z a-z 0-9 - _`.
 * Anything else is refused before any look-up (a typo, a key of another system, a probe).
 */
export const STREAM_KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** True when `key` has the form of a stream key (not that it is anyone's). */
export function isStreamKeyShaped(key: unknown): key is string {
	return typeof key === 'string' && STREAM_KEY_PATTERN.test(key);
}

/** `live:key`: whether you have a key and since when; never the key itself. */
export interface LiveKeyResponse {
	/** null when you have none (never made, or deleted). */
	key: { createdAt: string } | null;
	/** Where OBS sends the stream ("Server" in OBS's Custom service), e.g. `rtmp://example.org:1935/live`. */
	rtmpUrl: string;
}

/** `live:key:regenerate`: your new key, the only time it is shown; the old one stops working at once. */
export interface LiveKeyRegenerateResponse {
	key: string;
	createdAt: string;
	rtmpUrl: string;
}

/**
 * `live:key:changed`: your key was made anew or deleted on another of your devices, so Settings there
 * shows what is true now (and drops a key it was showing: it no longer works). Never the key itself.
 */
export interface LiveKeyChangedEvent {
	/** null: deleted. */
	key: { createdAt: string } | null;
}
