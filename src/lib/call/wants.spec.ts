import { describe, expect, it } from 'vitest';
import { ConsumerWants } from './wants';

/** Records the requests, answering each when told to (or refusing it). */
function recorder() {
	const sent: string[] = [];
	const pending: { resolve: () => void; reject: () => void }[] = [];
	const send = (event: string, payload: { consumerId: string; spatialLayer?: number }) => {
		sent.push(`${event} ${payload.consumerId}${payload.spatialLayer !== undefined ? ` ${payload.spatialLayer}` : ''}`);
		return new Promise<unknown>((resolve, reject) => pending.push({ resolve: () => resolve({}), reject }));
	};
	const answerAll = async () => {
		for (let i = 0; i < 10; i++) {
			for (const p of pending.splice(0)) p.resolve();
			await Promise.resolve();
			await new Promise((r) => setTimeout(r, 0));
		}
	};
	return { sent, send, pending, answerAll };
}

describe('ConsumerWants', () => {
	it('sends each change once, in order, and nothing when nothing changes', async () => {
		const r = recorder();
		const wants = new ConsumerWants(r.send);
		wants.set('call', 'c1', { visible: true, layer: 1 }, true);
		wants.set('call', 'c1', { visible: true, layer: 1 }, true);
		wants.set('call', 'c1', { visible: false, layer: 1 }, true);
		wants.set('call', 'c1', { visible: true, layer: 0 }, true);
		await r.answerAll();
		expect(r.sent).toEqual(['media:setPreferredLayers c1 1', 'media:pauseConsumer c1', 'media:resumeConsumer c1', 'media:setPreferredLayers c1 0']);
		expect(wants.snapshot().c1).toEqual({ asked: { visible: true, layer: 0 }, done: { visible: true, layer: 0 } });
	});

	it('waits for one request before sending the next of the same consumer', async () => {
		const r = recorder();
		const wants = new ConsumerWants(r.send);
		wants.set('call', 'c1', { visible: false }, true);
		wants.set('call', 'c1', { visible: true }, true);
		await Promise.resolve();
		expect(r.sent).toEqual(['media:pauseConsumer c1']);
		expect(wants.snapshot().c1.done.visible).toBe(true);
		await r.answerAll();
		expect(r.sent).toEqual(['media:pauseConsumer c1', 'media:resumeConsumer c1']);
	});

	it('picks no layer for a consumer without layers (a screen, audio)', async () => {
		const r = recorder();
		const wants = new ConsumerWants(r.send);
		wants.set('call', 's1', { visible: true, layer: 2 }, false);
		wants.set('call', 's1', { visible: false, layer: 0 }, false);
		await r.answerAll();
		expect(r.sent).toEqual(['media:pauseConsumer s1']);
		expect(wants.snapshot().s1.asked).toEqual({ visible: false, layer: -1 });
	});

	it('keeps "done" at what the server acknowledged when it refuses', async () => {
		const r = recorder();
		const wants = new ConsumerWants(r.send);
		wants.set('call', 'c1', { visible: false }, true);
		await Promise.resolve();
		r.pending.splice(0)[0].reject();
		await wants.settled();
		expect(wants.snapshot().c1).toEqual({ asked: { visible: false, layer: -1 }, done: { visible: true, layer: -1 } });
	});
});
