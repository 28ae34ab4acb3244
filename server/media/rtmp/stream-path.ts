/**
 * What an RTMP publish names: `live/<threadId>/<key>`. OBS puts `rtmp://HOST:1935/live/<threadId>`
 * in Server and the key in Stream Key (so the thread arrives in the connect's app); ffmpeg takes one
 * URL `rtmp://HOST:1935/live/<threadId>/<key>` (app `live`, the rest in publish). Both join to the same path.
 */
export function parseStreamPath(path: string): { threadId: string; key: string } | { error: string } {
	const parts = path.split('/').filter(Boolean);
	// The path holds the stream key: the error (which is logged) says its shape, never its text.
	if (parts.length !== 3 || parts[0] !== 'live') return { error: `a path of ${parts.length} part(s)${parts[0] === 'live' ? '' : ' not under live/'} is not live/<threadId>/<stream key>` };
	const [, threadId, key] = parts;
	if (threadId.length > 64 || key.length > 256) return { error: 'thread id or stream key too long' };
	return { threadId, key };
}
