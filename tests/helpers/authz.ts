import sharp from 'sharp';
import { expect } from 'vitest';
import type { ClientToServerEvents, Thread } from '../../src/lib/protocol/index.js';
import { befriend, ok, person, send, type Person } from './chat.js';
import { create, patch, upload } from './files.js';
import { createGroup } from './groups.js';
import { FAKE_DTLS, fakeRtpParameters } from './media.js';
import type { TestParley } from './parley.js';

/**
 * The world the authorization matrix (tests/integration/security.authz.spec.ts) is tried in: an owner
 * and a member with a group, a private thread, a message, a file, an unfinished upload, a pending friend
 * request, a group call, a live stream and the owner's session; a stranger; a former member (was in the group and saw its
 * file, then left; was the owner's friend, then unfriended).
 */
export interface AuthzWorld {
	owner: Person;
	member: Person;
	stranger: Person;
	former: Person;
	group: Thread;
	/** The owner's and the member's private thread. */
	pair: Thread;
	seq: number;
	fileId: string;
	/** An unfinished upload of the owner's: its path `/files/{uploadId}`. */
	uploadPath: string;
	requestId: string;
	callId: string | null;
	liveId: string | null;
	avatarPath: string;
	/** The owner's session's id (`GET /api/sessions`), for `DELETE /api/sessions/:id`. */
	sessionId: string;
}

/** The ids a row's payload is built from: all of the world's, or all made up (of the same shape). */
export interface Ids {
	thread: string;
	seq: number;
	file: string;
	upload: string;
	request: string;
	call: string;
	live: string;
	user: string;
	avatar: string;
	session: string;
}

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
/** A made-up 20-character id like the server's (`server/db/ids.ts`). */
export function madeUpId(): string {
	let s = '';
	for (let i = 0; i < 20; i++) s += ALPHABET[Math.floor(Math.random() * 32)];
	return s;
}

export async function buildWorld(t: TestParley, options: { media: boolean }): Promise<AuthzWorld> {
	const [owner, member, stranger, former, addressee] = await Promise.all([person(t), person(t), person(t), person(t), person(t)]);
	const pair = await befriend(owner, member);
	await befriend(owner, former);
	const group = await createGroup(owner, [member, former], 'Matrix');
	const seq = (await send(member.socket, group.id, 'hello group')).seq;
	const image = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 10, g: 200, b: 60 } } }).png().toBuffer();
	const { fileId } = await upload(t, owner.token, image, { filename: 'a.png', threadId: group.id });
	await ok(former.socket, 'groups:leave', { threadId: group.id });
	await ok(owner.socket, 'friends:remove', { userId: former.user.id });
	const created = await create(t, owner.token, 100);
	expect(created.status).toBe(201);
	const uploadPath = created.headers.get('location')!;
	const { request } = await ok(owner.socket, 'friends:request', { userId: addressee.user.id });
	const picture = await create(t, owner.token, image.length, { filename: 'me.png', filetype: 'image/png', purpose: 'avatar' });
	expect(picture.status, picture.text).toBe(201);
	const sent = await patch(t, owner.token, picture.headers.get('location')!, 0, image);
	expect(sent.status, sent.text).toBe(204);
	const me = await t.request('GET', '/api/me', { token: owner.token });
	const avatarPath: string = me.body.user.avatarUrl;
	expect(avatarPath).toMatch(/^\/files\/avatars\//);
	const sessions = await t.request('GET', '/api/sessions', { token: owner.token });
	expect(sessions.status, JSON.stringify(sessions.body)).toBe(200);
	const sessionId: string = sessions.body.sessions[0].id;
	let callId: string | null = null;
	let liveId: string | null = null;
	if (options.media) {
		callId = (await ok(owner.socket, 'call:invite', { threadId: group.id, video: false })).call.callId;
		liveId = (await ok(member.socket, 'live:start', { threadId: group.id, source: 'camera' })).live.liveId;
	}
	return { owner, member, stranger, former, group, pair, seq, fileId, uploadPath, requestId: request.id, callId, liveId, avatarPath, sessionId };
}

export function worldIds(w: AuthzWorld): Ids {
	return {
		thread: w.group.id,
		seq: w.seq,
		file: w.fileId,
		upload: w.uploadPath.slice('/files/'.length),
		request: w.requestId,
		call: w.callId ?? madeUpId(),
		live: w.liveId ?? madeUpId(),
		user: w.owner.user.id,
		avatar: w.avatarPath.slice('/files/avatars/'.length),
		session: w.sessionId
	};
}

/** The same ids made up; an upload id keeps its owner's prefix (`<ownerId>_<24 hex>`). */
export function madeUpIds(w: AuthzWorld): Ids {
	const hex = Array.from({ length: 24 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');
	return {
		thread: madeUpId(),
		seq: 999_999,
		file: madeUpId(),
		upload: `${w.owner.user.id}_${hex}`,
		request: madeUpId(),
		call: madeUpId(),
		live: madeUpId(),
		user: madeUpId(),
		avatar: madeUpId(),
		session: madeUpId()
	};
}

type Payload = (ids: Ids) => Record<string, unknown>;
const thread: Payload = (i) => ({ threadId: i.thread });
const message: Payload = (i) => ({ threadId: i.thread, seq: i.seq });
const call: Payload = (i) => ({ callId: i.call });
const live: Payload = (i) => ({ liveId: i.live });
const user: Payload = (i) => ({ userId: i.user });
const empty: Payload = () => ({});
const transport = 'nosuchtransport';

/**
 * A valid payload for every socket request, from the ids. Typed over every request, like the table, so
 * a new request needs one here too.
 */
export const PAYLOADS: { readonly [E in keyof ClientToServerEvents]: Payload } = {
	'session:whoami': empty,
	'users:search': () => ({ query: 'a' }),
	'users:get': (i) => ({ userIds: [i.user] }),
	'friends:request': user,
	'friends:respond': (i) => ({ requestId: i.request, accept: true }),
	'friends:cancel': (i) => ({ requestId: i.request }),
	'friends:list': empty,
	'friends:remove': user,
	'users:block': user,
	'users:unblock': user,
	'users:blocked': empty,
	'threads:open': user,
	'threads:get': thread,
	'threads:list': empty,
	'threads:mute': (i) => ({ threadId: i.thread, until: 'forever' }),
	'push:key': empty,
	'push:subscribe': () => ({ endpoint: 'http://127.0.0.1:9/push', keys: { p256dh: 'x', auth: 'y' } }),
	'push:unsubscribe': () => ({ endpoint: 'http://127.0.0.1:9/push' }),
	'presence:visibility': () => ({ hidden: false }),
	'messages:list': thread,
	'messages:send': (i) => ({ threadId: i.thread, clientId: crypto.randomUUID(), text: 'intruder' }),
	'messages:read': (i) => ({ threadId: i.thread, seq: i.seq }),
	'messages:delivered': (i) => ({ threadId: i.thread, seq: i.seq }),
	typing: thread,
	'messages:readers': message,
	'messages:search': (i) => ({ query: 'hello', threadId: i.thread }),
	'groups:create': (i) => ({ title: 'Mine', memberIds: [i.user] }),
	'groups:add': (i) => ({ threadId: i.thread, userIds: [i.user] }),
	'groups:remove': (i) => ({ threadId: i.thread, userId: i.user }),
	'groups:leave': thread,
	'groups:update': (i) => ({ threadId: i.thread, title: 'Taken over' }),
	'groups:role': (i) => ({ threadId: i.thread, userId: i.user, role: 'member' }),
	'messages:edit': (i) => ({ threadId: i.thread, seq: i.seq, text: 'edited' }),
	'messages:delete': message,
	'messages:react': (i) => ({ threadId: i.thread, seq: i.seq, emoji: '👍' }),
	'messages:edits': message,
	'messages:changes': (i) => ({ threadId: i.thread, afterChangeSeq: 0 }),
	'call:config': empty,
	'call:invite': (i) => ({ threadId: i.thread, video: false }),
	'call:test': empty,
	'call:accept': call,
	'call:decline': call,
	'call:cancel': call,
	'call:hangup': call,
	'call:join': call,
	'call:active': empty,
	'media:routerRtpCapabilities': call,
	'media:createTransport': (i) => ({ callId: i.call, direction: 'recv' }),
	'media:connectTransport': (i) => ({ callId: i.call, transportId: transport, dtlsParameters: FAKE_DTLS }),
	'media:restartIce': (i) => ({ callId: i.call, transportId: transport }),
	'media:produce': (i) => ({ callId: i.call, transportId: transport, kind: 'audio', rtpParameters: fakeRtpParameters('audio', 1111), appData: { source: 'mic' } }),
	'media:producers': call,
	'media:consume': (i) => ({ callId: i.call, transportId: transport, producerId: 'nosuchproducer', rtpCapabilities: { codecs: [], headerExtensions: [] } }),
	'media:resumeConsumer': (i) => ({ callId: i.call, consumerId: 'nosuchconsumer' }),
	'media:pauseProducer': (i) => ({ callId: i.call, producerId: 'nosuchproducer' }),
	'media:resumeProducer': (i) => ({ callId: i.call, producerId: 'nosuchproducer' }),
	'media:closeProducer': (i) => ({ callId: i.call, producerId: 'nosuchproducer' }),
	'media:setPreferredLayers': (i) => ({ callId: i.call, consumerId: 'nosuchconsumer', spatialLayer: 0 }),
	'media:pauseConsumer': (i) => ({ callId: i.call, consumerId: 'nosuchconsumer' }),
	'live:start': (i) => ({ threadId: i.thread, source: 'camera' }),
	'live:watch': live,
	'live:leave': live,
	'live:end': live,
	'live:active': empty,
	'live:key': empty,
	'live:key:regenerate': empty,
	'live:key:delete': empty
};

/** An error answer with every id of `ids` in its message replaced, so answers about two ids compare. */
export function normalized(answer: unknown, ids: Ids): string {
	let text = JSON.stringify(answer);
	// Longest first: an upload id holds its owner's user id. A seq only as a whole number.
	const strings = Object.values(ids).filter((v): v is string => typeof v === 'string').sort((a, b) => b.length - a.length);
	for (const value of strings) text = text.split(value).join('<id>');
	return text.replace(new RegExp(`\\b${ids.seq}\\b`, 'g'), '<seq>');
}
