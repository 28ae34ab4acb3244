/** What a tile needs of one video consumer: received or paused (off screen), and which simulcast layer. */
export interface Want {
	visible: boolean;
	/** -1: never asked (the server's default, the best layer). */
	layer: number;
}

type Send = (event: 'media:pauseConsumer' | 'media:resumeConsumer' | 'media:setPreferredLayers', payload: { callId: string; consumerId: string; spatialLayer?: number }) => Promise<unknown>;

/**
 * The requests behind the tiles' wishes: each change (`media:pauseConsumer`/`media:resumeConsumer`,
 * `media:setPreferredLayers`) is sent once, in order per consumer, and what the server has acknowledged
 * is kept apart from what was asked. A consumer starts received (it is resumed once attached), at the
 * server's default layer.
 */
export class ConsumerWants {
	readonly #send: Send;
	readonly #state = new Map<string, { asked: Want; done: Want; chain: Promise<void> }>();

	constructor(send: Send) {
		this.#send = send;
	}

	/** `layered`: the consumer has layers to pick from (a simulcast camera); otherwise `layer` is ignored. */
	set(callId: string, consumerId: string, want: { visible: boolean; layer?: number }, layered: boolean): void {
		const s = this.#state.get(consumerId) ?? { asked: { visible: true, layer: -1 }, done: { visible: true, layer: -1 }, chain: Promise.resolve() };
		this.#state.set(consumerId, s);
		const layer = layered && want.layer !== undefined && want.layer >= 0 ? want.layer : s.asked.layer;
		if (want.visible !== s.asked.visible) {
			const visible = want.visible;
			s.chain = s.chain.then(() => this.#send(visible ? 'media:resumeConsumer' : 'media:pauseConsumer', { callId, consumerId }).then(() => void (s.done.visible = visible), () => undefined));
		}
		if (layer !== s.asked.layer) {
			s.chain = s.chain.then(() => this.#send('media:setPreferredLayers', { callId, consumerId, spatialLayer: layer }).then(() => void (s.done.layer = layer), () => undefined));
		}
		s.asked = { visible: want.visible, layer };
	}

	/** What was asked and what the server has done, per consumer (tests and support). */
	snapshot(): Record<string, { asked: Want; done: Want }> {
		return Object.fromEntries([...this.#state].map(([id, s]) => [id, { asked: { ...s.asked }, done: { ...s.done } }]));
	}

	/** Waits for every request sent so far. */
	async settled(): Promise<void> {
		await Promise.all([...this.#state.values()].map((s) => s.chain));
	}

	delete(consumerId: string): void {
		this.#state.delete(consumerId);
	}

	clear(): void {
		this.#state.clear();
	}
}
