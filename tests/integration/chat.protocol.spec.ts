import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames } from '../helpers/backends.js';
import { befriend, clientId, fails, ok, people, request, sleep, type Person } from '../helpers/chat.js';
import { startParley, type TestParley } from '../helpers/parley.js';

/** Every request of section 2 and the extensions, with one valid payload each. */
function validPayloads(ids: { friend: string; thread: string; request: string }): Record<string, object> {
	return {
		'session:whoami': {},
		'users:search': { query: 'a' },
		'users:get': { userIds: [ids.friend] },
		'friends:request': { userId: ids.friend },
		'friends:respond': { requestId: ids.request, accept: false },
		'friends:cancel': { requestId: ids.request },
		'friends:list': {},
		'threads:open': { userId: ids.friend },
		'threads:get': { threadId: ids.thread },
		'threads:list': {},
		'messages:list': { threadId: ids.thread },
		'messages:send': { threadId: ids.thread, clientId: clientId(), text: 'x' },
		'messages:read': { threadId: ids.thread, seq: 0 },
		'messages:delivered': { threadId: ids.thread, seq: 0 },
		typing: { threadId: ids.thread }
	};
}

const EVENTS = Object.keys(validPayloads({ friend: '', thread: '', request: '' }));
/** Requests whose payload is `{}`: sent with no payload at all, they are fine. */
const EMPTY = new Set(['session:whoami', 'friends:list', 'threads:list']);

const MALFORMED: Array<[string, unknown]> = [
	['null', null],
	['a string', 'hello'],
	['a number', 42],
	['true', true],
	['an array', [{ threadId: 'x' }]],
	['an unknown field', { unexpected: 1 }],
	['a __proto__ key', JSON.parse('{"__proto__": {"admin": true}, "x": 1}')],
	['deep nesting', JSON.parse('['.repeat(500) + ']'.repeat(500))],
	['a long string', 'x'.repeat(100_000)]
];

// The edge of PROTOCOL.md 2: a malformed request gets an error ack and never crashes or disconnects
// the node; a missing ack callback is fine; unknown events are answered; bugs become `internal`.
describe.each(backendNames())('socket requests on %s', (backend) => {
	let t: TestParley;
	let a: Person;
	let b: Person;
	let ids: { friend: string; thread: string; request: string };

	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 10_000 } } });
		const [x, y, z] = await people(t, 3);
		a = x;
		b = y;
		const thread = await befriend(a, b);
		const { request: pending } = await ok(z.socket, 'friends:request', { userId: a.user.id });
		ids = { friend: b.user.id, thread: thread.id, request: pending.id };
	});
	afterAll(async () => t?.stop());

	async function stillServed(): Promise<void> {
		expect(a.socket.connected).toBe(true);
		expect(await request(a.socket, 'session:whoami', {})).toEqual({ ok: true, userId: a.user.id });
	}

	describe.each(EVENTS)('%s', (event) => {
		it.each(MALFORMED)('invalid_input for %s; the socket stays up', async (_label, payload) => {
			const error = await fails(a.socket, event, payload, 'invalid_input');
			expect(error.fields).toBeDefined();
			await stillServed();
		});

		it('with no payload at all', async () => {
			if (EMPTY.has(event)) expect((await request(a.socket, event)).ok).toBe(true);
			else await fails(a.socket, event, undefined, 'invalid_input');
			await stillServed();
		});

		it('without an ack callback, valid or not, nothing breaks', async () => {
			const raw = a.socket as unknown as { emit(event: string, ...args: unknown[]): void };
			raw.emit(event, validPayloads(ids)[event]);
			raw.emit(event, { nonsense: true });
			raw.emit(event);
			raw.emit(event, null, 'extra', 3);
			await sleep(50);
			await stillServed();
		});
	});

	it('an unknown event with an ack gets not_found; without one it is ignored', async () => {
		const error = await fails(a.socket, 'messages:purge', { id: 'x' }, 'not_found');
		expect(error.message).toContain('messages:purge');
		(a.socket as unknown as { emit(event: string, ...args: unknown[]): void }).emit('admin:shutdown', {});
		await stillServed();
	});

	it('a bug in a handler is logged and acked as internal, without its message or stack', async () => {
		const chat = t.parley.chat!;
		const original = chat.friends.list;
		chat.friends.list = async () => {
			throw new Error('secret detail of a bug');
		};
		try {
			const error = await fails(a.socket, 'friends:list', {}, 'internal');
			expect(error.message).not.toContain('secret');
		} finally {
			chat.friends.list = original;
		}
		expect((await request(a.socket, 'friends:list', {})).ok).toBe(true);
	});

	it('many malformed requests at once do not disturb valid ones in between', async () => {
		const results = await Promise.all(
			Array.from({ length: 60 }, (_, i) =>
				i % 3 === 0 ? request(a.socket, 'messages:list', { threadId: ids.thread, limit: 1 }) : request(a.socket, EVENTS[i % EVENTS.length], MALFORMED[i % MALFORMED.length][1])
			)
		);
		results.forEach((r, i) => expect(r.ok, JSON.stringify(r)).toBe(i % 3 === 0));
		await stillServed();
		expect(b.socket.connected).toBe(true);
	});
});
