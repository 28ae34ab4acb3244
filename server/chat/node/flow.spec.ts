import { EventEmitter } from 'node:events';
import type { Socket as NetSocket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { AppError } from '../../errors.js';
import { log } from '../../logger.js';
import { SocketFlow, type EngineConnection } from './flow.js';

/** A TCP socket as far as `SocketFlow` touches it: pause, resume, 'drain'. */
class FakeTcp extends EventEmitter {
	paused = false;
	destroyed = false;
	pause() {
		this.paused = true;
		return this;
	}
	resume() {
		this.paused = false;
		return this;
	}
	isPaused() {
		return this.paused;
	}
}

function setup(limits = { maxInFlight: 2, maxQueued: 2, maxBufferedBytes: 1000 }) {
	const tcp = new FakeTcp();
	const ws = { bufferedAmount: 0, _socket: tcp as unknown as NetSocket };
	const conn = { writeBuffer: [] as Array<{ data?: unknown }>, transport: { name: 'websocket', socket: ws } };
	const flow = new SocketFlow(conn as EngineConnection, limits, log.child('test'));
	const started: number[] = [];
	const finish = new Map<number, () => void>();
	const refused: Array<{ id: number; error: AppError }> = [];
	const submit = (id: number) =>
		flow.submit(
			() => {
				started.push(id);
				return new Promise<void>((resolve) => finish.set(id, resolve));
			},
			(error) => refused.push({ id, error })
		);
	const settle = async (id: number) => {
		finish.get(id)!();
		await new Promise((resolve) => setImmediate(resolve));
	};
	return { tcp, ws, conn, flow, started, refused, submit, settle };
}

describe('SocketFlow', () => {
	it('runs maxInFlight at once, queues maxQueued in order, refuses the rest with rate_limited', async () => {
		const { flow, started, refused, submit, settle } = setup();
		for (let id = 1; id <= 5; id++) submit(id);
		expect(started).toEqual([1, 2]);
		expect(flow.queued).toBe(2);
		expect(refused.map((r) => r.id)).toEqual([5]);
		expect(refused[0].error.code).toBe('rate_limited');
		expect(refused[0].error.message).toBe('too many requests at once on this connection (at most 2 running and 2 waiting); try again in 1 s');
		await settle(2);
		expect(started).toEqual([1, 2, 3]);
		await settle(1);
		expect(started).toEqual([1, 2, 3, 4]);
		expect(flow.inFlight).toBe(2);
	});

	it('over maxBufferedBytes unread: refuses, pauses the TCP socket, resumes on drain below half', async () => {
		const { tcp, ws, conn, refused, started, submit } = setup();
		conn.writeBuffer.push({ data: 'x'.repeat(600) });
		ws.bufferedAmount = 700;
		submit(1);
		expect(started).toEqual([]);
		expect(refused[0].error.message).toBe('the server is waiting for this connection to read its earlier answers (over 1 KiB unread); try again in 1 s');
		expect(tcp.paused).toBe(true);
		// Some left, still over half: stays paused.
		conn.writeBuffer.length = 0;
		tcp.emit('drain');
		expect(tcp.paused).toBe(true);
		ws.bufferedAmount = 400;
		tcp.emit('drain');
		expect(tcp.paused).toBe(false);
		submit(2);
		expect(started).toEqual([2]);
	});

	it('a queued request whose turn comes while the client is behind is refused, not run', async () => {
		const { ws, started, refused, submit, settle } = setup({ maxInFlight: 1, maxQueued: 1, maxBufferedBytes: 1000 });
		submit(1);
		submit(2);
		ws.bufferedAmount = 5000;
		await settle(1);
		expect(started).toEqual([1]);
		expect(refused.map((r) => r.id)).toEqual([2]);
	});

	it('close drops the queue and resumes reading', async () => {
		const { tcp, ws, flow, started, submit, settle } = setup({ maxInFlight: 1, maxQueued: 1, maxBufferedBytes: 1000 });
		submit(1);
		submit(2);
		ws.bufferedAmount = 5000;
		submit(3);
		expect(tcp.paused).toBe(true);
		flow.close();
		expect(tcp.paused).toBe(false);
		ws.bufferedAmount = 0;
		await settle(1);
		expect(started).toEqual([1]);
	});
});
