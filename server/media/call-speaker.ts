import type { types } from 'mediasoup';
import type { CallRouters } from './call-routers.js';
import { ownerOf, type MediaNotice } from './call-media.types.js';

export interface ActiveSpeakerOptions {
	/** The call's first router: the observer lives there, and microphones on other routers are piped to it. */
	router: types.Router;
	routes: CallRouters;
	/** The call's peers (user ids) right now. */
	peers: () => Iterable<string>;
	/** How many peers the call has right now: the speaker is told only with 3 or more. */
	count: () => number;
	/** Whether the call has ended: nothing is told then. */
	closed: () => boolean;
	notify: (userId: string, notice: MediaNotice) => void;
}

/**
 * Who speaks in a call: microphones go to the router's ActiveSpeakerObserver; its choice is told to
 * every peer (3 or more). The observer is made with the first microphone.
 */
export class ActiveSpeaker {
	private speakers: types.ActiveSpeakerObserver | null = null;
	private speaker: string | null = null;

	constructor(private readonly options: ActiveSpeakerOptions) {}

	/** Adds a microphone; when it closes while its owner was the speaker, nobody is. */
	async observe(producer: types.Producer): Promise<void> {
		if (!this.speakers) {
			this.speakers = await this.options.router.createActiveSpeakerObserver({ interval: 300 });
			this.speakers.on('dominantspeaker', ({ producer: loudest }) => this.announce((loudest.appData as { userId: string }).userId));
		}
		const from = this.options.routes.peek(ownerOf(producer)) ?? this.options.router;
		await this.options.routes.pipe(producer.id, from, this.options.router).catch(() => undefined);
		await this.speakers.addProducer({ producerId: producer.id }).catch(() => undefined);
		producer.observer.once('close', () => {
			if (this.speaker === (producer.appData as { userId: string }).userId) this.announce(null);
		});
	}

	private announce(userId: string | null): void {
		if (this.options.closed() || userId === this.speaker) return;
		this.speaker = userId;
		if (this.options.count() < 3) return;
		for (const peer of this.options.peers()) this.options.notify(peer, { event: 'media:activeSpeaker', userId });
	}
}
