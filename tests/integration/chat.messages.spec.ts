import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, MessagesListResponse, Thread } from '../../src/lib/protocol/index.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, clientId, device, Events, fails, ok, people, request, send, sleep, type Person } from '../helpers/chat.js';
import type { ClientSocket } from '../helpers/parley.js';
import { startParley, type TestParley } from '../helpers/parley.js';

const TYPING_MS = 400;

// PROTOCOL.md 2: messages:send, messages:list, messages:read, messages:delivered and typing
// (extensions), message:new, message:status, typing events; membership on every access; limits.
describe.each(backendNames())('messages on %s', (backend) => {
	let t: TestParley;
	/** alice and bob are friends; bob has a second device; eve is a friend of neither. */
	let alice: Person;
	let bob: Person;
	let eve: Person;
	let bob2: ClientSocket;
	let thread: Thread;

	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 10_000 }, chatLimits: { typingIntervalMs: TYPING_MS } } });
		[alice, bob, eve] = await people(t, 3);
		bob2 = await device(t, bob);
		thread = await befriend(alice, bob);
	});
	afterAll(async () => t?.stop());

	/** A fresh pair of friends with their own thread. */
	async function pair(): Promise<{ a: Person; b: Person; thread: Thread }> {
		const [a, b] = await people(t, 2);
		return { a, b, thread: await befriend(a, b) };
	}

	describe('messages:send', () => {
		it('acks {message} after storing it; every device of every member gets message:new once', async () => {
			const alice2 = await device(t, alice);
			const watch = [alice.socket, alice2, bob.socket, bob2].map((s) => new Events(s, ['message:new']));
			const id = clientId();
			const before = (await ok<{ thread: Thread }>(alice.socket, 'threads:get', { threadId: thread.id })).thread.lastSeq;
			const message = await send(alice.socket, thread.id, 'hello bob', id);
			expect(message).toEqual({
				id: expect.any(String),
				threadId: thread.id,
				seq: before + 1,
				senderId: alice.user.id,
				clientId: id,
				kind: 'text',
				text: 'hello bob',
				createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
			});
			for (const events of watch) {
				expect((await events.next('message:new', (p) => p.message.id === message.id)).message).toEqual(message);
			}
			await sleep(100);
			for (const events of watch) expect(events.all('message:new', (p) => p.message.id === message.id)).toHaveLength(1);
			alice2.disconnect();
		});

		it('seqs count up by one from 1 in a new thread', async () => {
			const p = await pair();
			const seqs: number[] = [];
			for (let i = 0; i < 4; i++) seqs.push((await send(i % 2 ? p.a.socket : p.b.socket, p.thread.id, `m${i}`)).seq);
			expect(seqs).toEqual([1, 2, 3, 4]);
		});

		it('is idempotent per clientId: a resend returns the first message and stores nothing', async () => {
			const p = await pair();
			const events = new Events(p.b.socket, ['message:new']);
			const id = clientId();
			const first = await send(p.a.socket, p.thread.id, 'once', id);
			const again = await send(p.a.socket, p.thread.id, 'once, edited on resend', id);
			expect(again).toEqual(first);
			// The same clientId from another device of the sender is the same message too.
			const a2 = await device(t, p.a);
			expect(await send(a2, p.thread.id, 'once', id)).toEqual(first);
			// Racing resends store it once.
			const raced = clientId();
			const results = await Promise.all([p.a.socket, a2, p.a.socket, a2].map((s) => send(s, p.thread.id, 'raced', raced)));
			expect(new Set(results.map((m) => m.id)).size).toBe(1);
			const { messages } = await ok<MessagesListResponse>(p.b.socket, 'messages:list', { threadId: p.thread.id });
			expect(messages.map((m) => m.text)).toEqual(['once', 'raced']);
			expect(messages.map((m) => m.seq)).toEqual([1, 2]);
			await sleep(100);
			expect(events.all('message:new')).toHaveLength(2);
			// Another sender may use the same clientId: it is unique per sender.
			expect((await send(p.b.socket, p.thread.id, 'mine', id)).seq).toBe(3);
			a2.disconnect();
		});

		it('conflict when a clientId already named a message in another thread', async () => {
			const id = clientId();
			await send(alice.socket, thread.id, 'first use', id);
			const other = await befriend(alice, (await people(t, 1))[0]);
			const error = await fails(alice.socket, 'messages:send', { threadId: other.id, clientId: id, text: 'reuse' }, 'conflict');
			expect(error.message).toContain(id);
		});

		it('keeps text verbatim: HTML, SQL, quotes, whitespace, newlines, emoji, right-to-left', async () => {
			const texts = [
				'<script>alert("x")</script><img src=x onerror=alert(1)>',
				"'; DROP TABLE messages; --",
				'Robert\'); DELETE FROM users WHERE (\'1\'=\'1',
				'%_\\ LIKE \'%\' ESCAPE \'\\\'',
				'  leading and trailing  ',
				'line one\nline two\r\n\ttabbed',
				'emoji 👩‍👩‍👧‍👦 and 🇳🇴, combining é, RTL שלום, CJK 你好, zero-width \u200b',
				'&lt;not decoded&gt; &amp; {{template}} ${expr} `backticks`',
				'\\u0000 is just text, and so is \\n'
			];
			const sent: Message[] = [];
			for (const text of texts) sent.push(await send(alice.socket, thread.id, text));
			sent.forEach((m, i) => expect(m.text).toBe(texts[i]));
			const { messages } = await ok<MessagesListResponse>(bob.socket, 'messages:list', { threadId: thread.id, afterSeq: sent[0].seq - 1, limit: texts.length });
			expect(messages.map((m) => m.text)).toEqual(texts);
		});

		it('takes 4,000 characters (emoji count as one), not 4,001', async () => {
			const p = await pair();
			const max = '😀'.repeat(4000);
			expect((await send(p.a.socket, p.thread.id, max)).text).toBe(max);
			const plain = 'x'.repeat(4000);
			expect((await send(p.a.socket, p.thread.id, plain)).text).toBe(plain);
			const error = await fails(p.a.socket, 'messages:send', { threadId: p.thread.id, clientId: clientId(), text: 'x'.repeat(4001) }, 'invalid_input');
			expect(error.fields?.text).toMatch(/4000/);
			await fails(p.a.socket, 'messages:send', { threadId: p.thread.id, clientId: clientId(), text: '😀'.repeat(4001) }, 'invalid_input');
		});

		it.each([
			['empty text', { text: '' }],
			['whitespace-only text', { text: ' \n\t ' }],
			['text with NUL', { text: 'a\u0000b' }],
			['a lone surrogate', { text: 'broken \ud800 pair' }],
			['text as a number', { text: 42 }],
			['no text', { text: undefined }],
			['no clientId', { clientId: undefined }],
			['an empty clientId', { clientId: '' }],
			['a clientId over 36 characters', { clientId: 'c'.repeat(37) }],
			['a clientId with spaces', { clientId: 'a b' }],
			['no threadId', { threadId: undefined }],
			['a threadId as an object', { threadId: { $ne: null } }],
			['an unknown field', { senderId: 'someone-else' }],
			['a kind field', { kind: 'file' }]
		])('invalid_input for %s, nothing stored', async (_label, change) => {
			const payload = { threadId: thread.id, clientId: clientId(), text: 'fine', ...change };
			const before = (await ok<{ thread: Thread }>(alice.socket, 'threads:get', { threadId: thread.id })).thread.lastSeq;
			await fails(alice.socket, 'messages:send', JSON.parse(JSON.stringify(payload)), 'invalid_input');
			expect((await ok<{ thread: Thread }>(alice.socket, 'threads:get', { threadId: thread.id })).thread.lastSeq).toBe(before);
		});

		it('rate_limited past 30 new messages in 10 s, saying when to retry; resends still work', async () => {
			const p = await pair();
			const first = await send(p.a.socket, p.thread.id, 'm0');
			for (let i = 1; i < 30; i++) await send(p.a.socket, p.thread.id, `m${i}`);
			const error = await fails(p.a.socket, 'messages:send', { threadId: p.thread.id, clientId: clientId(), text: 'one too many' }, 'rate_limited');
			expect(error.message).toMatch(/try again in \d+ s/);
			expect(await send(p.a.socket, p.thread.id, 'm0', first.clientId)).toEqual(first);
			// The limit is per user: the other person is not slowed down.
			expect((await send(p.b.socket, p.thread.id, 'still fine')).seq).toBe(31);
		});
	});

	describe('authorization', () => {
		it('a non-member can neither send, list, read, mark delivered, type nor get the thread', async () => {
			const lastSeq = (await ok<{ thread: Thread }>(alice.socket, 'threads:get', { threadId: thread.id })).thread.lastSeq;
			const watch = new Events(alice.socket, ['typing', 'message:status', 'message:new']);
			await fails(eve.socket, 'messages:send', { threadId: thread.id, clientId: clientId(), text: 'let me in' }, 'not_found');
			await fails(eve.socket, 'messages:list', { threadId: thread.id }, 'not_found');
			await fails(eve.socket, 'messages:list', { threadId: thread.id, afterSeq: 0 }, 'not_found');
			await fails(eve.socket, 'messages:read', { threadId: thread.id, seq: 1 }, 'not_found');
			await fails(eve.socket, 'messages:delivered', { threadId: thread.id, seq: 1 }, 'not_found');
			await fails(eve.socket, 'typing', { threadId: thread.id }, 'not_found');
			await fails(eve.socket, 'threads:get', { threadId: thread.id }, 'not_found');
			expect((await ok<{ thread: Thread }>(alice.socket, 'threads:get', { threadId: thread.id })).thread.lastSeq).toBe(lastSeq);
			expect(await watch.none('typing')).toBe(true);
			expect(watch.log).toEqual([]);
			// eve's threads do not include it either.
			expect((await ok(eve.socket, 'threads:list', {})).threads).toEqual([]);
		});

		it('the sender is the socket\'s user, whatever the payload says', async () => {
			await fails(eve.socket, 'messages:send', { threadId: thread.id, clientId: clientId(), text: 'x', senderId: alice.user.id }, 'invalid_input');
			const m = await send(bob.socket, thread.id, 'from bob');
			expect(m.senderId).toBe(bob.user.id);
		});
	});

	describe('messages:list', () => {
		let p: { a: Person; b: Person; thread: Thread };
		let all: Message[];
		beforeAll(async () => {
			p = await pair();
			all = [];
			for (let i = 1; i <= 7; i++) all.push(await send(p.a.socket, p.thread.id, `n${i}`));
		});
		const list = (payload: object) => ok<MessagesListResponse>(p.b.socket, 'messages:list', { threadId: p.thread.id, ...payload });
		const seqs = (r: MessagesListResponse) => r.messages.map((m) => m.seq);

		it('newest page by default, ascending, with hasMore toward older', async () => {
			const r = await list({ limit: 3 });
			expect(seqs(r)).toEqual([5, 6, 7]);
			expect(r.hasMore).toBe(true);
			expect(r.messages).toEqual(all.slice(4));
			const whole = await list({});
			expect(seqs(whole)).toEqual([1, 2, 3, 4, 5, 6, 7]);
			expect(whole.hasMore).toBe(false);
		});

		it('beforeSeq pages back', async () => {
			let r = await list({ beforeSeq: 5, limit: 3 });
			expect([seqs(r), r.hasMore]).toEqual([[2, 3, 4], true]);
			r = await list({ beforeSeq: 2, limit: 3 });
			expect([seqs(r), r.hasMore]).toEqual([[1], false]);
			r = await list({ beforeSeq: 1 });
			expect([seqs(r), r.hasMore]).toEqual([[], false]);
			r = await list({ beforeSeq: 1000, limit: 2 });
			expect([seqs(r), r.hasMore]).toEqual([[6, 7], true]);
		});

		it('afterSeq pages forward (how a client fills gaps)', async () => {
			let r = await list({ afterSeq: 0, limit: 3 });
			expect([seqs(r), r.hasMore]).toEqual([[1, 2, 3], true]);
			r = await list({ afterSeq: 3, limit: 3 });
			expect([seqs(r), r.hasMore]).toEqual([[4, 5, 6], true]);
			r = await list({ afterSeq: 6, limit: 3 });
			expect([seqs(r), r.hasMore]).toEqual([[7], false]);
			r = await list({ afterSeq: 7 });
			expect([seqs(r), r.hasMore]).toEqual([[], false]);
		});

		it.each([
			['beforeSeq and afterSeq together', { beforeSeq: 5, afterSeq: 1 }],
			['a negative afterSeq', { afterSeq: -1 }],
			['a fractional beforeSeq', { beforeSeq: 1.5 }],
			['a huge afterSeq', { afterSeq: 2 ** 40 }],
			['a string afterSeq', { afterSeq: '3' }],
			['limit 0', { limit: 0 }],
			['limit 101', { limit: 101 }],
			['an unknown field', { order: 'desc' }]
		])('invalid_input for %s', async (_label, payload) => {
			await fails(p.b.socket, 'messages:list', { threadId: p.thread.id, ...payload }, 'invalid_input');
		});

		it('not_found for an unknown thread', async () => {
			await fails(p.b.socket, 'messages:list', { threadId: 'nope' }, 'not_found');
		});
	});

	describe('receipts', () => {
		it('messages:read reaches the sender and the reader\'s other devices as message:status; never goes back', async () => {
			const p = await pair();
			const b2 = await device(t, p.b);
			const aEvents = new Events(p.a.socket, ['message:status']);
			const b2Events = new Events(b2, ['message:status']);
			for (let i = 1; i <= 3; i++) await send(p.a.socket, p.thread.id, `r${i}`);
			expect(await ok(p.b.socket, 'messages:read', { threadId: p.thread.id, seq: 2 })).toEqual({ ok: true });
			const status = { threadId: p.thread.id, userId: p.b.user.id, readSeq: 2, deliveredSeq: 2 };
			expect(await aEvents.next('message:status')).toEqual(status);
			expect(await b2Events.next('message:status')).toEqual(status);
			// Backwards is a no-op: no event, nothing lowered.
			aEvents.clear();
			expect(await ok(p.b.socket, 'messages:read', { threadId: p.thread.id, seq: 1 })).toEqual({ ok: true });
			expect(await aEvents.none('message:status')).toBe(true);
			// Past the end is clamped to the last seq.
			await ok(p.b.socket, 'messages:read', { threadId: p.thread.id, seq: 999 });
			expect(await aEvents.next('message:status')).toEqual({ ...status, readSeq: 3, deliveredSeq: 3 });
			const theirs = (await ok<{ thread: Thread }>(p.a.socket, 'threads:get', { threadId: p.thread.id })).thread;
			expect(theirs).toMatchObject({ peerReadSeq: 3, peerDeliveredSeq: 3 });
			const mine = (await ok<{ thread: Thread }>(p.b.socket, 'threads:get', { threadId: p.thread.id })).thread;
			expect(mine).toMatchObject({ readSeq: 3, deliveredSeq: 3, unread: 0 });
			b2.disconnect();
		});

		it('messages:delivered raises deliveredSeq only (two ticks before blue ones)', async () => {
			const p = await pair();
			const aEvents = new Events(p.a.socket, ['message:status']);
			for (let i = 1; i <= 3; i++) await send(p.a.socket, p.thread.id, `d${i}`);
			expect(await ok(p.b.socket, 'messages:delivered', { threadId: p.thread.id, seq: 3 })).toEqual({ ok: true });
			expect(await aEvents.next('message:status')).toEqual({ threadId: p.thread.id, userId: p.b.user.id, readSeq: 0, deliveredSeq: 3 });
			const mine = (await ok<{ thread: Thread }>(p.b.socket, 'threads:get', { threadId: p.thread.id })).thread;
			expect(mine).toMatchObject({ readSeq: 0, deliveredSeq: 3, unread: 3 });
			await ok(p.b.socket, 'messages:delivered', { threadId: p.thread.id, seq: 2 });
			await ok(p.b.socket, 'messages:read', { threadId: p.thread.id, seq: 1 });
			expect(await aEvents.next('message:status', (s) => s.readSeq === 1)).toEqual({ threadId: p.thread.id, userId: p.b.user.id, readSeq: 1, deliveredSeq: 3 });
		});

		it.each([
			['no seq', { seq: undefined }],
			['a negative seq', { seq: -2 }],
			['a string seq', { seq: 'all' }],
			['an unknown field', { userId: 'x' }]
		])('invalid_input for %s', async (_label, change) => {
			const payload = JSON.parse(JSON.stringify({ threadId: thread.id, seq: 1, ...change }));
			await fails(bob.socket, 'messages:read', payload, 'invalid_input');
			await fails(bob.socket, 'messages:delivered', payload, 'invalid_input');
		});
	});

	describe('typing (extension)', () => {
		it('is relayed to the other members\' devices, not back to the typer, at most once per interval', async () => {
			const bobEvents = new Events(bob.socket, ['typing']);
			const bob2Events = new Events(bob2, ['typing']);
			const aliceEvents = new Events(alice.socket, ['typing']);
			await sleep(TYPING_MS);
			for (let i = 0; i < 5; i++) expect(await request(alice.socket, 'typing', { threadId: thread.id })).toEqual({ ok: true });
			const expected = { threadId: thread.id, userId: alice.user.id };
			expect(await bobEvents.next('typing')).toEqual(expected);
			expect(await bob2Events.next('typing')).toEqual(expected);
			await sleep(150);
			expect(bobEvents.all('typing')).toHaveLength(1);
			expect(aliceEvents.all('typing')).toHaveLength(0);
			await sleep(TYPING_MS);
			// Without an ack too: a fire-and-forget typing is still relayed.
			(alice.socket as unknown as { emit(e: string, p: unknown): void }).emit('typing', { threadId: thread.id });
			await bobEvents.count('typing', 2);
			// The interval is per user and thread: bob typing back is not held up by alice.
			await ok(bob.socket, 'typing', { threadId: thread.id });
			expect(await aliceEvents.next('typing')).toEqual({ threadId: thread.id, userId: bob.user.id });
		});

		it('a sent message ends the interval: typing the next one is relayed at once', async () => {
			await sleep(TYPING_MS);
			const bobEvents = new Events(bob.socket, ['typing']);
			await ok(alice.socket, 'typing', { threadId: thread.id });
			await bobEvents.count('typing', 1);
			await send(alice.socket, thread.id, 'done typing that one');
			// Well inside the interval the first typing opened: relayed because a message came between.
			await ok(alice.socket, 'typing', { threadId: thread.id });
			await bobEvents.count('typing', 2);
			// With no message between, the interval holds again.
			await ok(alice.socket, 'typing', { threadId: thread.id });
			await sleep(150);
			expect(bobEvents.all('typing')).toHaveLength(2);
		});

		it('invalid_input for a malformed payload', async () => {
			await fails(alice.socket, 'typing', { threadId: 5 }, 'invalid_input');
			await fails(alice.socket, 'typing', {}, 'invalid_input');
		});
	});
});
