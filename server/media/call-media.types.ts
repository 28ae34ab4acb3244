import type { types } from 'mediasoup';
import type { MediaSource, ProducerInfo } from '../../src/lib/protocol/index.js';
import type { Logger } from '../logger.js';
import type { PlaceRouter } from './call-routers.js';

// The shapes a call's media (call-media.ts) works with: its options, what it tells the peers, what a
// peer owns, and how a producer reads.

/** What a call's media tells one peer about the others' producers and who speaks. */
export type MediaNotice =
	| { event: 'media:newProducer'; producer: ProducerInfo }
	| { event: 'media:producerClosed' | 'media:producerPaused' | 'media:producerResumed'; producerId: string }
	| { event: 'media:activeSpeaker'; userId: string | null };

export interface CallMediaOptions {
	router: types.Router;
	listenIp: string;
	announcedIp: string | undefined;
	/** The call test: the one peer consumes its own producers. Default false. */
	loopback?: boolean;
	/** A live stream: one sends, many watch; nobody needs to hear who speaks. Default false. */
	live?: boolean;
	/** At most this many cameras send at once (`CALL_MAX_VIDEO`). Default 16. */
	maxVideo?: number;
	/** A router on another worker when this one's is full (pipeToRouter); without it, one router. */
	place?: PlaceRouter;
	/** Called once when the worker under the router died: the call cannot go on. */
	lost: () => void;
	/** Every new producer of the call (a live stream's host pipes it to the media nodes relaying it). */
	produced?: (producer: types.Producer) => void;
	/** Tells one peer (by user id) about the other's producers. */
	notify: (userId: string, notice: MediaNotice) => void;
	log: Logger;
}

/** What one peer owns in the call, by id. */
export interface Peer {
	transports: Map<string, types.WebRtcTransport>;
	producers: Map<string, types.Producer>;
	consumers: Map<string, types.Consumer>;
}

/** The user whose producer it is (set in its appData when it was made or adopted). */
export const ownerOf = (p: types.Producer): string => (p.appData as { userId: string }).userId;

/** A producer as the protocol tells it to the other peers. */
export function info(p: types.Producer): ProducerInfo {
	return { producerId: p.id, userId: (p.appData as { userId: string }).userId, kind: p.kind, source: (p.appData as { source: MediaSource }).source, paused: p.paused };
}
