import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeAll, encode } from './amf0.js';
import { ChunkReader, writeMessage, type RtmpMessage } from './chunks.js';
import { RtmpSession, type SessionHooks } from './session.js';

/** A session on one end of a real TCP connection, and the raw other end. */
async function pair(hooks: Partial<SessionHooks>, setupTimeoutMs = 5000) {
	const closed: Array<[string, boolean]> = [];
	const server = net.createServer();
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
	const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
	const socket = await accepted;
	new RtmpSession(
		socket,
		{ publish: async () => true, media: () => {}, closed: (reason, ended) => closed.push([reason, ended]), ...hooks },
		{ setupTimeoutMs, idleTimeoutMs: 5000 }
	);
	let bytes = Buffer.alloc(0);
	client.on('data', (d: Buffer) => (bytes = Buffer.concat([bytes, d])));
	const ended = new Promise<void>((r) => client.once('close', () => r()));
	client.on('error', () => {});
	cleanup.push(() => {
		client.destroy();
		server.close();
	});
	return { client, closed, ended, received: () => bytes };
}
const cleanup: Array<() => void> = [];
afterEach(() => cleanup.splice(0).forEach((f) => f()));

const c1 = Buffer.alloc(1536, 0xab);
const command = (streamId: number, ...values: Parameters<typeof encode>) => writeMessage(3, { type: 20, timestamp: 0, streamId, payload: encode(...values) }, 128);

/** The commands (type 20) the server sent after its 3073 handshake bytes. */
function commands(bytes: Buffer): unknown[][] {
	const reader = new ChunkReader();
	const out: RtmpMessage[] = [];
	out.push(...reader.push(bytes.subarray(3073)));
	return out.filter((m) => m.type === 20).map((m) => decodeAll(m.payload));
}

describe('an RTMP session', () => {
	it('answers the handshake (S2 echoes C1), connect, createStream and an accepted publish', async () => {
		const paths: string[] = [];
		const t = await pair({ publish: async (path) => (paths.push(path), true) });
		t.client.write(Buffer.concat([Buffer.from([3]), c1]));
		await expect.poll(() => t.received().length).toBeGreaterThanOrEqual(3073);
		expect(t.received()[0]).toBe(3);
		expect(t.received().subarray(1537, 3073)).toEqual(c1);
		t.client.write(Buffer.concat([Buffer.alloc(1536), command(0, 'connect', 1, { app: 'live/thread-9' }), command(0, 'createStream', 2, null), command(1, 'publish', 3, null, 'the-key?x=1', 'live')]));
		await expect.poll(() => commands(t.received()).length).toBe(3);
		const [connect, created, status] = commands(t.received());
		expect(connect.slice(0, 2)).toEqual(['_result', 1]);
		expect((connect[3] as { code: string }).code).toBe('NetConnection.Connect.Success');
		expect(created).toEqual(['_result', 2, null, 1]);
		expect((status[3] as { code: string }).code).toBe('NetStream.Publish.Start');
		expect(paths).toEqual(['live/thread-9/the-key']);
		expect(t.closed).toEqual([]);
	});

	it('a refused publish gets an error status, then the connection closes', async () => {
		const t = await pair({ publish: async () => false });
		t.client.write(Buffer.concat([Buffer.from([3]), c1, Buffer.alloc(1536), command(0, 'connect', 1, { app: 'live' }), command(1, 'publish', 0, null, 't/k', 'live')]));
		await t.ended;
		expect((commands(t.received()).at(-1)![3] as { level: string; code: string }).code).toBe('NetStream.Publish.BadName');
		expect(t.closed).toEqual([['stream key refused', false]]);
	});

	it('passes media on after the publish; deleteStream ends it (ended = true)', async () => {
		const media: number[] = [];
		const t = await pair({ media: (m) => media.push(m.type) });
		t.client.write(Buffer.concat([Buffer.from([3]), c1, Buffer.alloc(1536), command(0, 'connect', 1, { app: 'live' }), command(1, 'publish', 0, null, 't/k', 'live')]));
		await expect.poll(() => commands(t.received()).length).toBe(2);
		t.client.write(Buffer.concat([writeMessage(4, { type: 8, timestamp: 0, streamId: 1, payload: Buffer.from([0xaf, 0]) }, 128), command(0, 'deleteStream', 4, null, 1)]));
		await t.ended;
		expect(media).toEqual([8]);
		expect(t.closed).toEqual([['the publisher ended its stream', true]]);
	});

	it('keeps media sent while the key is checked, and passes it on once accepted', async () => {
		const media: number[] = [];
		let accept: (ok: boolean) => void = () => {};
		const t = await pair({ publish: () => new Promise((r) => (accept = r)), media: (m) => media.push(m.payload[0]) });
		const audio = (n: number) => writeMessage(4, { type: 8, timestamp: n, streamId: 1, payload: Buffer.from([n, 0]) }, 128);
		t.client.write(Buffer.concat([Buffer.from([3]), c1, Buffer.alloc(1536), command(0, 'connect', 1, { app: 'live' }), command(1, 'publish', 0, null, 't/k', 'live'), audio(1), audio(2)]));
		await expect.poll(() => commands(t.received()).length).toBe(1);
		expect(media).toEqual([]);
		accept(true);
		await expect.poll(() => media).toEqual([1, 2]);
		t.client.write(audio(3));
		await expect.poll(() => media).toEqual([1, 2, 3]);
	});

	it('closes on a wrong version, on media before a publish, and when nothing is published in time', async () => {
		const wrong = await pair({});
		wrong.client.write(Buffer.concat([Buffer.from([6]), c1]));
		await wrong.ended;
		expect(wrong.closed[0][0]).toMatch(/bad input: RTMP version 6/);

		const early = await pair({});
		early.client.write(Buffer.concat([Buffer.from([3]), c1, Buffer.alloc(1536), writeMessage(4, { type: 9, timestamp: 0, streamId: 1, payload: Buffer.from([0x17, 0]) }, 128)]));
		await early.ended;
		expect(early.closed[0][0]).toBe('media before an accepted publish');

		const idle = await pair({}, 200);
		await idle.ended;
		expect(idle.closed[0][0]).toBe('no publish within the setup time');
	});
});
