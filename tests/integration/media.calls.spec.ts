import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CallInfo, Message, Thread } from '../../src/lib/protocol/index.js';
import { befriend, device, Events, fails, ok, people, type Person } from '../helpers/chat.js';
import { connectedCall, describeWithWorker, mediaEnv } from '../helpers/media.js';
import type { ClientSocket } from '../helpers/parley.js';
import { startParley, type TestParley } from '../helpers/parley.js';

const RING_MS = 1200;
const CALL_EVENTS = ['call:ring', 'call:accepted', 'call:ended', 'message:new'] as const;

// The call state machine (docs/PROTOCOL.md, "Calls and media") against the real mediasoup worker:
// invite, ring on every device of the callee, accept, decline, cancel, busy, no answer, hang up, a
// socket dropping mid-call, a dead worker; and outsiders.
describeWithWorker('calls on sqlite', () => {
	let t: TestParley;

	beforeAll(async () => {
		t = await startParley('sqlite', { env: mediaEnv(RING_MS), parley: { limits: { codesPerIp: 10_000 } } });
	});
	afterAll(async () => t?.stop());

	/** Two friends, the callee with a second device. */
	async function pair(): Promise<{ a: Person; b: Person; b2: ClientSocket; thread: Thread }> {
		const [a, b] = await people(t, 2);
		const thread = await befriend(a, b);
		return { a, b, b2: await device(t, b), thread };
	}

	const callLine = (events: Events, callId: string) => events.next('message:new', (p) => p.message.kind === 'call' && p.message.clientId === callId);

	it('healthz and call:config say calls are available, with the ring time and ICE servers', async () => {
		const health = await t.request('GET', '/healthz');
		expect(health.body.media).toBe('available');
		const [a] = await people(t, 1);
		const config = await ok(a.socket, 'call:config', {});
		expect(config).toMatchObject({ ok: true, media: 'available', iceServers: [], ringTimeoutMs: RING_MS });
	});

	it('invite rings every device of the callee; accept on one stops the others; hangup ends both sides and writes "Video call, m:ss"', async () => {
		const { a, b, b2, thread } = await pair();
		const [ea, eb, eb2] = [a.socket, b.socket, b2].map((s) => new Events(s, [...CALL_EVENTS]));
		const { call } = await ok<{ call: CallInfo }>(a.socket, 'call:invite', { threadId: thread.id, video: true });
		expect(call).toMatchObject({ threadId: thread.id, kind: 'video', callerId: a.user.id, calleeId: b.user.id, state: 'ringing' });
		for (const e of [eb, eb2]) {
			const ring = await e.next('call:ring', (p) => p.call.callId === call.callId);
			expect(ring.caller).toMatchObject({ id: a.user.id, username: a.user.username });
		}
		expect(await ea.none('call:ring', () => true, 50)).toBe(true);

		const { call: accepted } = await ok<{ call: CallInfo }>(b2, 'call:accept', { callId: call.callId });
		expect(accepted.state).toBe('active');
		expect(typeof accepted.answeredAt).toBe('string');
		expect((await ea.next('call:accepted', (p) => p.call.callId === call.callId)).call.state).toBe('active');
		expect((await eb.next('call:ended', (p) => p.callId === call.callId)).reason).toBe('answered_elsewhere');
		// The device that answered is not told to stop ringing.
		expect(await eb2.none('call:ended', (p) => p.callId === call.callId, 100)).toBe(true);
		await fails(b.socket, 'call:accept', { callId: call.callId }, 'conflict');

		await new Promise((r) => setTimeout(r, 1100));
		await ok(a.socket, 'call:hangup', { callId: call.callId });
		for (const e of [ea, eb2]) {
			const ended = await e.next('call:ended', (p) => p.callId === call.callId && p.reason === 'hangup');
			expect(ended.summary).toMatchObject({ callKind: 'video', outcome: 'completed' });
			expect(ended.summary.durationSec).toBeGreaterThanOrEqual(1);
		}
		const line = (await callLine(eb, call.callId)).message as Message;
		expect(line).toMatchObject({ kind: 'call', threadId: thread.id, senderId: a.user.id, call: { callKind: 'video', outcome: 'completed' } });
		expect(line.text).toMatch(/^Video call, \d+:\d\d$/);
		expect(line.text).not.toBe('Video call, 0:00');
		// Delivered like any message: it is in the history too, once.
		const { messages } = await ok<{ messages: Message[] }>(b.socket, 'messages:list', { threadId: thread.id });
		expect(messages.filter((m) => m.kind === 'call')).toEqual([line]);
		await fails(a.socket, 'call:hangup', { callId: call.callId }, 'not_found');
	});

	it('decline ends the call for the caller and writes "Declined call"; a voice call is "audio"', async () => {
		const { a, b, thread } = await pair();
		const ea = new Events(a.socket, [...CALL_EVENTS]);
		const { call } = await ok<{ call: CallInfo }>(a.socket, 'call:invite', { threadId: thread.id, video: false });
		expect(call.kind).toBe('audio');
		await fails(a.socket, 'call:decline', { callId: call.callId }, 'forbidden');
		await ok(b.socket, 'call:decline', { callId: call.callId });
		const ended = await ea.next('call:ended', (p) => p.callId === call.callId);
		expect(ended).toMatchObject({ reason: 'declined', summary: { callKind: 'audio', outcome: 'declined', durationSec: 0 } });
		expect((await callLine(ea, call.callId)).message.text).toBe('Declined call');
	});

	it('the caller cancels while it rings: every callee device stops ringing, "Missed call"', async () => {
		const { a, b, b2, thread } = await pair();
		const [eb, eb2] = [b.socket, b2].map((s) => new Events(s, [...CALL_EVENTS]));
		const { call } = await ok<{ call: CallInfo }>(a.socket, 'call:invite', { threadId: thread.id, video: true });
		await eb.next('call:ring');
		await fails(b.socket, 'call:cancel', { callId: call.callId }, 'forbidden');
		await ok(a.socket, 'call:cancel', { callId: call.callId });
		for (const e of [eb, eb2]) expect((await e.next('call:ended', (p) => p.callId === call.callId)).reason).toBe('cancelled');
		expect((await callLine(eb, call.callId)).message).toMatchObject({ text: 'Missed call', call: { outcome: 'cancelled' } });
	});

	it('nobody answers: after the ring time the call ends with no_answer and "Missed call"', async () => {
		const { a, b, thread } = await pair();
		const [ea, eb] = [a.socket, b.socket].map((s) => new Events(s, [...CALL_EVENTS]));
		const started = Date.now();
		const { call } = await ok<{ call: CallInfo }>(a.socket, 'call:invite', { threadId: thread.id, video: true });
		for (const e of [ea, eb]) expect((await e.next('call:ended', (p) => p.callId === call.callId, RING_MS + 3000)).reason).toBe('no_answer');
		expect(Date.now() - started).toBeGreaterThanOrEqual(RING_MS - 50);
		expect((await callLine(eb, call.callId)).message).toMatchObject({ text: 'Missed call', call: { outcome: 'missed', durationSec: 0 } });
		await fails(b.socket, 'call:accept', { callId: call.callId }, 'not_found');
	});

	it('busy: calling someone who is in a call ends at once with busy; the caller cannot start a second call', async () => {
		const { a, b, thread } = await pair();
		const [c] = await people(t, 1);
		const threadCB = await befriend(c, b);
		const threadAC = await befriend(a, c);
		const ec = new Events(c.socket, [...CALL_EVENTS]);
		const eb = new Events(b.socket, [...CALL_EVENTS]);
		const callId = await connectedCall(a, b.socket, thread.id);
		const { call: busy } = await ok<{ call: CallInfo }>(c.socket, 'call:invite', { threadId: threadCB.id, video: false });
		expect(busy).toMatchObject({ state: 'ended', endReason: 'busy' });
		expect((await ec.next('call:ended', (p) => p.callId === busy.callId)).summary.outcome).toBe('busy');
		expect(await eb.none('call:ring', (p) => p.call.callId === busy.callId, 100)).toBe(true);
		expect((await callLine(ec, busy.callId)).message.text).toBe('Missed call');
		// The caller in a call cannot place another one.
		await fails(a.socket, 'call:invite', { threadId: threadAC.id, video: true }, 'conflict');
		await ok(b.socket, 'call:hangup', { callId });
	});

	it("a peer's socket dropping mid-call ends it for the other (peer_left) and frees both for new calls", async () => {
		const { a, b, b2, thread } = await pair();
		const ea = new Events(a.socket, [...CALL_EVENTS]);
		const callId = await connectedCall(a, b2, thread.id);
		b2.disconnect();
		const ended = await ea.next('call:ended', (p) => p.callId === callId);
		expect(ended).toMatchObject({ reason: 'peer_left', summary: { outcome: 'completed' } });
		// Both are free again.
		const { call } = await ok<{ call: CallInfo }>(b.socket, 'call:invite', { threadId: thread.id, video: false });
		expect(call.state).toBe('ringing');
		await ok(b.socket, 'call:cancel', { callId: call.callId });
	});

	it('the caller dropping while it rings cancels the call on every callee device', async () => {
		const { a, b, thread } = await pair();
		const eb = new Events(b.socket, [...CALL_EVENTS]);
		const { call } = await ok<{ call: CallInfo }>(a.socket, 'call:invite', { threadId: thread.id, video: true });
		await eb.next('call:ring');
		a.socket.disconnect();
		expect(await eb.next('call:ended', (p) => p.callId === call.callId)).toMatchObject({ reason: 'peer_left', summary: { outcome: 'cancelled' } });
	});

	it('outsiders cannot call into a thread or touch a call: not_found, as for what does not exist', async () => {
		const { a, b, thread } = await pair();
		const [eve] = await people(t, 1);
		await fails(eve.socket, 'call:invite', { threadId: thread.id, video: true }, 'not_found');
		await fails(eve.socket, 'call:invite', { threadId: 'nope', video: true }, 'not_found');
		const { call } = await ok<{ call: CallInfo }>(a.socket, 'call:invite', { threadId: thread.id, video: true });
		for (const event of ['call:accept', 'call:decline', 'call:hangup', 'media:routerRtpCapabilities', 'media:producers']) {
			await fails(eve.socket, event, { callId: call.callId }, 'not_found');
		}
		await fails(eve.socket, 'media:createTransport', { callId: call.callId, direction: 'send' }, 'not_found');
		// The callee has no media before answering; on the other device not at all.
		await fails(b.socket, 'media:routerRtpCapabilities', { callId: call.callId }, 'conflict');
		await ok(b.socket, 'call:accept', { callId: call.callId });
		const other = await device(t, b);
		await fails(other, 'media:routerRtpCapabilities', { callId: call.callId }, 'conflict');
		await ok(a.socket, 'call:hangup', { callId: call.callId });
	});

	it('every payload is validated: invalid_input naming the field', async () => {
		const [a] = await people(t, 1);
		expect((await fails(a.socket, 'call:invite', { threadId: 'x' }, 'invalid_input')).fields).toHaveProperty('video');
		expect((await fails(a.socket, 'call:invite', { threadId: 1, video: true }, 'invalid_input')).fields).toHaveProperty('threadId');
		expect((await fails(a.socket, 'call:invite', { threadId: 'x', video: true, extra: 1 }, 'invalid_input')).fields).toHaveProperty('extra');
		await fails(a.socket, 'call:accept', {}, 'invalid_input');
		await fails(a.socket, 'call:hangup', 'nonsense', 'invalid_input');
		expect((await fails(a.socket, 'media:createTransport', { callId: 'x', direction: 'both' }, 'invalid_input')).fields).toHaveProperty('direction');
		expect((await fails(a.socket, 'media:produce', { callId: 'x', transportId: 't', kind: 'audio', rtpParameters: {}, appData: { source: 'speaker' } }, 'invalid_input')).fields).toHaveProperty('appData.source');
		expect((await fails(a.socket, 'media:consume', { callId: 'x', transportId: 't', producerId: 'p', rtpCapabilities: 'caps' }, 'invalid_input')).fields).toHaveProperty('rtpCapabilities');
		expect((await fails(a.socket, 'media:connectTransport', { callId: 'x', transportId: 't', dtlsParameters: { big: 'x'.repeat(20_000) } }, 'invalid_input')).fields).toHaveProperty('dtlsParameters');
	});

	it('a worker that dies ends its calls with media_failed and is replaced', async () => {
		const { a, b, thread } = await pair();
		const [ea, eb] = [a.socket, b.socket].map((s) => new Events(s, [...CALL_EVENTS]));
		const callId = await connectedCall(a, b.socket, thread.id);
		await ok(a.socket, 'media:routerRtpCapabilities', { callId });
		const pool = (await t.parley.media!.workers())!;
		const [pid] = pool.pids();
		process.kill(pid, 'SIGKILL');
		for (const e of [ea, eb]) expect((await e.next('call:ended', (p) => p.callId === callId, 10_000)).reason).toBe('media_failed');
		expect((await callLine(eb, callId)).message.call).toMatchObject({ outcome: 'completed' });
		// Replaced: a new call gets media again.
		await expect.poll(() => pool.size, { timeout: 10_000 }).toBe(1);
		expect(pool.pids()).not.toContain(pid);
		const next = await connectedCall(a, b.socket, thread.id);
		expect(await ok(a.socket, 'media:routerRtpCapabilities', { callId: next })).toHaveProperty('rtpCapabilities.codecs');
		await ok(a.socket, 'call:hangup', { callId: next });
	});
});
