import type { ErrorCode } from './errors';
import type { ClientToServerEvents } from './socket';

/**
 * The authorization matrix (docs/PROTOCOL.md, "Authorization"): for every socket request and HTTP call,
 * the ids it names and what someone with no right to them gets. The integration test
 * `tests/integration/security.authz.spec.ts` tries every row as a stranger, a former member, a signed-out
 * session and an unauthenticated client, and checks that an existing id and a made-up one get the same
 * answer. The socket table is typed over every request of `ClientToServerEvents` and the test compares
 * the HTTP table with the routes the server registers, so a new request or route without a row fails.
 */
export type IdKind = 'thread' | 'message' | 'file' | 'upload' | 'friendRequest' | 'call' | 'live' | 'user' | 'avatar' | 'session';

export type AuthzRow =
	/** Names no id of anyone else's: nothing to refuse (it acts on the asker's own things). */
	| { names: [] }
	/** Names ids that outsiders may not learn of: refused with `outsider` whether or not the id exists. */
	| { names: IdKind[]; outsider: ErrorCode }
	/** Names ids that anyone signed in may use (the reason says why telling them apart is no leak). */
	| { names: IdKind[]; public: string };

const USERS_ARE_PUBLIC = 'users are public: search shows anyone, and usernames are on every message';
const thread = { names: ['thread'], outsider: 'not_found' } as const satisfies AuthzRow;
const message = { names: ['thread', 'message'], outsider: 'not_found' } as const satisfies AuthzRow;
const call = { names: ['call'], outsider: 'not_found' } as const satisfies AuthzRow;
const live = { names: ['live'], outsider: 'not_found' } as const satisfies AuthzRow;
const none = { names: [] } as const satisfies AuthzRow;

/** Every socket request (section 2, calls, live streams, stream keys, notifications). */
export const SOCKET_AUTHZ: { readonly [E in keyof ClientToServerEvents]: AuthzRow } = {
	'session:whoami': none,
	'users:search': none,
	'users:get': { names: ['user'], public: USERS_ARE_PUBLIC },
	'friends:request': { names: ['user'], public: USERS_ARE_PUBLIC },
	'friends:respond': { names: ['friendRequest'], outsider: 'not_found' },
	'friends:cancel': { names: ['friendRequest'], outsider: 'not_found' },
	'friends:list': none,
	'friends:remove': { names: ['user'], public: USERS_ARE_PUBLIC },
	'users:block': { names: ['user'], public: USERS_ARE_PUBLIC },
	'users:unblock': { names: ['user'], public: USERS_ARE_PUBLIC },
	'users:blocked': none,
	// Chats are between friends: anyone else, existing or not, is `forbidden`.
	'threads:open': { names: ['user'], outsider: 'forbidden' },
	'threads:get': thread,
	'threads:list': none,
	'threads:mute': thread,
	'push:key': none,
	'push:subscribe': none,
	'push:unsubscribe': none,
	'presence:visibility': none,
	'messages:list': thread,
	'messages:send': thread,
	'messages:read': thread,
	'messages:delivered': thread,
	typing: thread,
	'messages:readers': message,
	'messages:search': thread,
	// Names people only: anyone not your friend, existing or not, is `invalid_input` (PROTOCOL.md, Groups).
	'groups:create': { names: ['user'], outsider: 'invalid_input' },
	'groups:add': thread,
	'groups:remove': thread,
	'groups:leave': thread,
	'groups:update': thread,
	'groups:role': thread,
	'messages:edit': message,
	'messages:delete': message,
	'messages:react': message,
	'messages:edits': message,
	'messages:changes': thread,
	'call:config': none,
	'call:invite': thread,
	'call:test': none,
	'call:accept': call,
	'call:decline': call,
	'call:cancel': call,
	'call:hangup': call,
	'call:join': call,
	'call:active': none,
	'media:routerRtpCapabilities': call,
	'media:createTransport': call,
	'media:connectTransport': call,
	'media:restartIce': call,
	'media:produce': call,
	'media:producers': call,
	'media:consume': call,
	'media:resumeConsumer': call,
	'media:pauseProducer': call,
	'media:resumeProducer': call,
	'media:closeProducer': call,
	'media:setPreferredLayers': call,
	'media:pauseConsumer': call,
	'live:start': thread,
	'live:watch': live,
	'live:leave': live,
	'live:end': live,
	'live:active': none,
	'live:key': none,
	'live:key:regenerate': none,
	'live:key:delete': none
};

export interface HttpAuthzRow {
	/** `session`: without a live session the answer is 401 `unauthorized`; `none`: open to anyone. */
	auth: 'session' | 'none';
	row: AuthzRow;
}

const open: HttpAuthzRow = { auth: 'none', row: none };
const own: HttpAuthzRow = { auth: 'session', row: none };

/**
 * Every HTTP call, as `METHOD path` with the router's `:name` segments. The `/api` and `/healthz` rows
 * must match the server's route table exactly; the `/files/` rows are the files role's edge
 * (`server/files/edge.ts`), which has no table.
 */
export const HTTP_AUTHZ: Readonly<Record<string, HttpAuthzRow>> = {
	'GET /healthz': open,
	'POST /api/auth/verification': open,
	'GET /api/auth/availability': open,
	'POST /api/auth/password-check': open,
	'POST /api/auth/register': open,
	'POST /api/auth/password-reset': open,
	'POST /api/auth/login': open,
	'POST /api/auth/chat-ticket': own,
	'POST /api/auth/logout': own,
	// A wrong current password only ever: the matrix and the fuzz must not change or delete what they use.
	'POST /api/auth/password': own,
	'GET /api/sessions': own,
	// Another user's session id and a made-up one get the same 404 (PROTOCOL.md, "Sessions and devices").
	'DELETE /api/sessions/:id': { auth: 'session', row: { names: ['session'], outsider: 'not_found' } },
	'POST /api/sessions/end-others': own,
	'GET /api/me': own,
	'PATCH /api/me': own,
	'DELETE /api/me': own,
	'DELETE /api/me/avatar': own,
	'GET /api/files': own,
	'DELETE /api/files/:id': { auth: 'session', row: { names: ['file'], outsider: 'not_found' } },
	// tus: creation names a thread in its metadata (404 for one not yours); the rest name an upload.
	'POST /files/': { auth: 'session', row: { names: ['thread'], outsider: 'not_found' } },
	'HEAD /files/:uploadId': { auth: 'session', row: { names: ['upload'], outsider: 'not_found' } },
	'PATCH /files/:uploadId': { auth: 'session', row: { names: ['upload'], outsider: 'not_found' } },
	'DELETE /files/:uploadId': { auth: 'session', row: { names: ['upload'], outsider: 'not_found' } },
	'GET /files/:fileId': { auth: 'session', row: { names: ['file'], outsider: 'not_found' } },
	'GET /files/:fileId/thumbnail': { auth: 'session', row: { names: ['file'], outsider: 'not_found' } },
	'GET /files/avatars/:avatarId': { auth: 'session', row: { names: ['avatar'], public: 'pictures are on cards, which search shows to strangers' } }
};
