import type { ProducerInfo } from '$lib/protocol';
import { peopleOf, type RemotePeer } from './remote';
import type { CallTransport, Request } from './transport';
import { ConsumerWants, type Want } from './wants';

export interface RemoteMediaOptions {
	request: Request;
	/** Shows a problem without ending the call. */
	warn: (message: string) => void;
	/** The call's transport now (null before it is open and after the call). */
	transport: () => CallTransport | null;
	/** Whether the call is a group call (cameras in simulcast layers). */
	group: () => boolean;
}

/**
 * What comes from the others in one call, as runes: the producers announced, consumed once the call is
 * answered, per person (`remotes`), whether each is paused at its sender, and what each tile wants of
 * a video (`want`). The media side of the call (`CallMedia`) owns the transport and this.
 */
export class RemoteMedia {
	remotes = $state.raw<RemotePeer[]>([]);

	readonly #request: Request;
	readonly #warn: (message: string) => void;
	readonly #transport: () => CallTransport | null;
	readonly #group: () => boolean;
	/** Producers announced before we could consume them (transport not ready, call not answered). */
	#pending: ProducerInfo[] = [];
	#live = false;
	#paused = new Map<string, boolean>();
	readonly #wants: ConsumerWants;

	constructor(options: RemoteMediaOptions) {
		this.#request = options.request;
		this.#warn = options.warn;
		this.#transport = options.transport;
		this.#group = options.group;
		this.#wants = new ConsumerWants(options.request);
	}

	/** The call is answered (or joined): consume what is there and what comes from now on. */
	async consumeExisting(callId: string): Promise<void> {
		if (!this.#transport()) return;
		this.#live = true;
		const { producers } = await this.#request('media:producers', { callId });
		for (const p of [...producers, ...this.#pending.splice(0)]) await this.#consume(p);
	}

	newProducer(producer: ProducerInfo): void {
		if (!this.#transport() || !this.#live) this.#pending.push(producer);
		else void this.#consume(producer).catch((e) => this.#warn(e instanceof Error ? e.message : String(e)));
	}

	producerClosed(producerId: string): void {
		const transport = this.#transport();
		this.#pending = this.#pending.filter((p) => p.producerId !== producerId);
		for (const c of transport?.consumers.values() ?? []) if (c.info.producerId === producerId) this.#wants.delete(c.consumer.id);
		transport?.dropProducer(producerId);
		this.#paused.delete(producerId);
		this.#show();
	}

	producerPaused(producerId: string, paused: boolean): void {
		this.#paused.set(producerId, paused);
		this.#show();
	}

	async #consume(producer: ProducerInfo): Promise<void> {
		this.#paused.set(producer.producerId, producer.paused);
		await this.#consumeTries(producer, 3);
	}

	/** A consume that fails (a request lost while a node is busy) is tried again while its producer is still there. */
	async #consumeTries(producer: ProducerInfo, tries: number): Promise<void> {
		const transport = this.#transport();
		try {
			if (await transport?.consume(producer)) this.#show();
		} catch (error) {
			const still = () => transport === this.#transport() && this.#paused.has(producer.producerId);
			if (tries <= 1 || !still()) throw error;
			await new Promise((resolve) => setTimeout(resolve, 1000));
			if (still()) await this.#consumeTries(producer, tries - 1);
		}
	}

	#show(): void {
		this.remotes = peopleOf([...(this.#transport()?.consumers.values() ?? [])], this.#paused);
	}

	/**
	 * What a tile needs of a video consumer: `visible` false pauses it on the server (nothing is sent),
	 * `layer` picks the simulcast layer of a camera in a group call.
	 */
	want(consumerId: string, want: { visible: boolean; layer?: number }): void {
		const transport = this.#transport();
		const entry = transport?.consumers.get(consumerId);
		if (transport && entry) this.#wants.set(transport.callId, consumerId, want, this.#group() && entry.info.source === 'camera');
	}

	/** The transports' connection states and, per consumer, whose, what, and whether it is paused here or at its producer (tests and support). */
	consumers(): { transports: Record<string, string> | null; consumers: { userId: string; kind: string; source: string; paused: boolean; producerPaused: boolean }[] } {
		const transport = this.#transport();
		const consumers = [...(transport?.consumers.values() ?? [])];
		return {
			transports: transport?.states ?? null,
			consumers: consumers.map((c) => ({ userId: c.userId, kind: c.info.kind, source: c.info.source, paused: c.consumer.paused, producerPaused: this.#paused.get(c.info.producerId) ?? false }))
		};
	}

	/** Per video consumer: whose, what its tile asked, what the server did (tests and support). */
	wants(): { consumerId: string; userId: string; asked: Want; done: Want }[] {
		const snapshot = this.#wants.snapshot();
		return [...(this.#transport()?.consumers.values() ?? [])].filter((c) => snapshot[c.consumer.id]).map((c) => ({ consumerId: c.consumer.id, userId: c.userId, ...snapshot[c.consumer.id] }));
	}

	/** After the call: nothing pending, paused or wanted, nobody shown. */
	clear(): void {
		this.#pending = [];
		this.#paused.clear();
		this.#wants.clear();
		this.#live = false;
		this.remotes = [];
	}
}
