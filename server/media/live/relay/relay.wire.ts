import type { types } from 'mediasoup';
import type { MediaSource } from '../../../../src/lib/protocol/index.js';
import type { Seat } from '../live.js';

// What a stream's host and the media nodes relaying it say to each other (op `live:relay` over the
// media link; docs/ARCHITECTURE.md, "Live streams across media nodes").

/** One end of a PipeTransport pair: where it takes RTP (the announced address), and its SRTP key. */
export interface PipeEnd {
	ip: string;
	port: number;
	srtp: types.SrtpParameters | undefined;
}

/** A producer of the stream as the relay re-creates it: the same id, the host's pipe consumer's parameters. */
export interface PipedProducer {
	id: string;
	kind: types.MediaKind;
	rtpParameters: types.RtpParameters;
	paused: boolean;
	source: MediaSource;
}

/**
 * From the host to a relay. `open` answers the relay's `PipeEnd`; every other action answers `{}`.
 * The relay keeps a stream from `open` until `close` (its last viewer left, or the stream ended).
 */
export type RelayRequest =
	| { action: 'open'; liveId: string; streamerId: string; host: string; pipe: PipeEnd & { id: string }; producers: PipedProducer[] }
	| { action: 'produce'; liveId: string; producers: PipedProducer[] }
	| { action: 'producer'; liveId: string; producerId: string; state: 'closed' | 'paused' | 'resumed' }
	| { action: 'watch'; liveId: string; userId: string; seat: Seat }
	| { action: 'leave'; liveId: string; userId: string }
	// `pipeId`: the host's PipeTransport the relay was opened from; a late close of an earlier pipe is ignored.
	| { action: 'close'; liveId: string; pipeId: string };

/** The end a PipeTransport offers the other node. */
export function endOf(transport: types.PipeTransport): PipeEnd {
	return { ip: transport.tuple.localIp, port: transport.tuple.localPort, srtp: transport.srtpParameters };
}
