import type { ConsumerInfo } from '$lib/protocol';

/** One remote stream in the call view: a person's camera or screen. */
export interface RemoteVideo {
	consumerId: string;
	track: MediaStreamTrack;
	paused: boolean;
}

/** What the call view shows of one other person in the call. */
export interface RemotePeer {
	userId: string;
	audio: MediaStreamTrack | null;
	audioPaused: boolean;
	camera: RemoteVideo | null;
	screen: RemoteVideo | null;
}

/** What `peopleOf` reads of a consumer. */
export interface ConsumerOf {
	consumer: { id: string; track: MediaStreamTrack };
	info: Pick<ConsumerInfo, 'kind' | 'source' | 'producerId'>;
	userId: string;
}

/**
 * The others in the call, one entry per person in the order their media arrived: their microphone,
 * camera and screen consumers, each with whether its producer is paused (`paused`, by producer id).
 */
export function peopleOf(consumers: ConsumerOf[], paused: ReadonlyMap<string, boolean>): RemotePeer[] {
	const byUser = new Map<string, RemotePeer>();
	for (const { consumer, info, userId } of consumers) {
		let peer = byUser.get(userId);
		if (!peer) byUser.set(userId, (peer = { userId, audio: null, audioPaused: false, camera: null, screen: null }));
		const isPaused = paused.get(info.producerId) ?? false;
		if (info.kind === 'audio') [peer.audio, peer.audioPaused] = [consumer.track, isPaused];
		else peer[info.source === 'screen' ? 'screen' : 'camera'] = { consumerId: consumer.id, track: consumer.track, paused: isPaused };
	}
	return [...byUser.values()];
}
