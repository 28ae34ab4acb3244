import { z } from 'zod';
import { mediaIdOf } from './chat-base';

/**
 * Calls (docs/PROTOCOL.md, "Calls and media"): `call:*` rings, answers, joins and ends a call in a
 * thread (1:1 in a private thread, a group call of many in a group); `media:*` negotiates its audio and
 * video with the SFU (mediasoup) on the media node that hosts the call. Both ride the chat socket, from
 * any chat node. The payloads of `media:*` that carry mediasoup's own structures (RTP capabilities and
 * parameters, DTLS parameters) are checked for shape and size here and in depth by mediasoup itself.
 */

export type CallKind = 'audio' | 'video';
export type CallState = 'ringing' | 'active' | 'ended';
/**
 * Why a call ended: `hangup` (a peer hung up an answered call), `cancelled` (the caller gave up
 * before an answer), `declined`, `busy` (the callee was in another call), `no_answer` (nobody answered
 * in time), `answered_elsewhere` (to the callee's other devices), `peer_left` (a peer's connection
 * dropped), `media_failed` (the SFU process serving the call died).
 */
/**
 * Extensions: `media_lost` (the media node hosting the call stopped answering, or was stopped), `moved`
 * (to the one socket that left the call because the same person joined it from another device).
 */
export type CallEndReason = 'hangup' | 'cancelled' | 'declined' | 'busy' | 'no_answer' | 'answered_elsewhere' | 'peer_left' | 'media_failed' | 'media_lost' | 'moved';
/** What the call line in the thread says happened. */
export type CallOutcome = 'completed' | 'missed' | 'declined' | 'cancelled' | 'busy' | 'failed';
export type MediaSource = 'mic' | 'camera' | 'screen';

/** The structured part of a message of kind `call` (its `text` is the same, said for people). */
export interface CallSummary {
	callKind: CallKind;
	/** Seconds from answer to end; 0 for a call never answered. For a group call: from start to the last one leaving. */
	durationSec: number;
	outcome: CallOutcome;
	/** A group call: how many different people were in it (`Group call, 12:04, 5 people`). */
	people?: number;
}

/** Someone in a call now. */
export interface CallParticipant {
	userId: string;
	/** When they joined (ISO 8601). */
	joinedAt: string;
}

export interface CallInfo {
	callId: string;
	threadId: string;
	kind: CallKind;
	/** Who started it. */
	callerId: string;
	/** The other member of a 1:1 call; empty in a group call. */
	calleeId: string;
	state: CallState;
	/** When the callee answered (ISO 8601); a group call is answered when it starts. */
	answeredAt?: string;
	/** Only when `state` is `ended`. */
	endReason?: CallEndReason;
	/** A call in a group thread: members join and leave at will; it ends when the last one leaves. */
	group: boolean;
	/** Who is in the call now, in the order they joined. */
	participants: CallParticipant[];
}

/** An ICE server for RTCPeerConnection (STUN or TURN), from the server's `ICE_SERVERS`. */
export interface IceServer {
	urls: string | string[];
	username?: string;
	credential?: string;
}

export interface CallConfigResponse {
	/** `unavailable`: this server cannot carry calls (no media role or no mediasoup worker); `reason` says why. */
	media: 'available' | 'unavailable';
	reason?: string;
	iceServers: IceServer[];
	/** How long an unanswered call rings before it ends with `no_answer`, in ms. */
	ringTimeoutMs: number;
	/** Extension: at most this many cameras send in one call (`CALL_MAX_VIDEO`, default 16). */
	maxVideo: number;
	/** Extension: at most this many people are in one call (`CALL_MAX_PARTICIPANTS`, default 50). */
	maxParticipants: number;
}

export interface ProducerInfo {
	producerId: string;
	userId: string;
	kind: 'audio' | 'video';
	source: MediaSource;
	paused: boolean;
}

/** What mediasoup-client's `device.createSendTransport`/`createRecvTransport` takes. */
export interface TransportInfo {
	id: string;
	iceParameters: unknown;
	iceCandidates: unknown[];
	dtlsParameters: unknown;
}

export interface ConsumerInfo {
	id: string;
	producerId: string;
	kind: 'audio' | 'video';
	rtpParameters: unknown;
	source: MediaSource;
	/** The consumer starts paused: resume it with `media:resumeConsumer` once it is attached. */
	producerPaused: boolean;
}

// ---- request schemas -------------------------------------------------------------------------

/** A JSON object from mediasoup(-client): shape checked by mediasoup; here only bounded in size. */
const blob = (what: string, maxBytes = 16 * 1024) =>
	z
		.record(z.string(), z.unknown(), { message: `${what} must be an object` })
		.refine((v) => JSON.stringify(v).length <= maxBytes, { message: `${what} is at most ${maxBytes} bytes of JSON` });

export const callInviteRequest = z.strictObject({ threadId: mediaIdOf('threadId'), video: z.boolean({ message: 'video must be true or false' }) });
export const callIdRequest = z.strictObject({ callId: mediaIdOf('callId') });

export const mediaCreateTransportRequest = z.strictObject({
	callId: mediaIdOf('callId'),
	direction: z.enum(['send', 'recv'], { message: 'direction must be send or recv' })
});
export const mediaConnectTransportRequest = z.strictObject({
	callId: mediaIdOf('callId'),
	transportId: mediaIdOf('transportId'),
	dtlsParameters: blob('dtlsParameters')
});
/** One of your transports (`media:restartIce`). */
export const mediaTransportRequest = z.strictObject({ callId: mediaIdOf('callId'), transportId: mediaIdOf('transportId') });
export const mediaProduceRequest = z.strictObject({
	callId: mediaIdOf('callId'),
	transportId: mediaIdOf('transportId'),
	kind: z.enum(['audio', 'video'], { message: 'kind must be audio or video' }),
	rtpParameters: blob('rtpParameters'),
	appData: z.strictObject({ source: z.enum(['mic', 'camera', 'screen'], { message: 'appData.source must be mic, camera or screen' }) })
});
export const mediaConsumeRequest = z.strictObject({
	callId: mediaIdOf('callId'),
	transportId: mediaIdOf('transportId'),
	producerId: mediaIdOf('producerId'),
	rtpCapabilities: blob('rtpCapabilities', 64 * 1024)
});
export const mediaProducerRequest = z.strictObject({ callId: mediaIdOf('callId'), producerId: mediaIdOf('producerId') });
export const mediaConsumerRequest = z.strictObject({ callId: mediaIdOf('callId'), consumerId: mediaIdOf('consumerId') });
/** Which simulcast layer a video consumer should receive (0 = the smallest); mediasoup falls back to the best available below it. */
export const mediaLayersRequest = z.strictObject({
	callId: mediaIdOf('callId'),
	consumerId: mediaIdOf('consumerId'),
	spatialLayer: z.number({ message: 'spatialLayer must be a number' }).int({ message: 'spatialLayer must be a whole number' }).min(0, { message: 'spatialLayer is at least 0' }).max(2, { message: 'spatialLayer is at most 2' }),
	temporalLayer: z.number({ message: 'temporalLayer must be a number' }).int({ message: 'temporalLayer must be a whole number' }).min(0, { message: 'temporalLayer is at least 0' }).max(2, { message: 'temporalLayer is at most 2' }).optional()
});

export type CallInviteRequest = z.input<typeof callInviteRequest>;
export type CallIdRequest = z.input<typeof callIdRequest>;
export type MediaCreateTransportRequest = z.input<typeof mediaCreateTransportRequest>;
export type MediaConnectTransportRequest = z.input<typeof mediaConnectTransportRequest>;
export type MediaTransportRequest = z.input<typeof mediaTransportRequest>;
export type MediaProduceRequest = z.input<typeof mediaProduceRequest>;
export type MediaConsumeRequest = z.input<typeof mediaConsumeRequest>;
export type MediaProducerRequest = z.input<typeof mediaProducerRequest>;
export type MediaConsumerRequest = z.input<typeof mediaConsumerRequest>;
export type MediaLayersRequest = z.input<typeof mediaLayersRequest>;

/** What the server holds on to per call; the client shows `call:config`'s values. */
export const CALL_LIMITS = { maxVideoDefault: 16, maxParticipantsDefault: 50, simulcastLayers: 3 } as const;

/** The thread line of a call, for people: "Video call, 4:12", "Missed call". */
export function callLine(summary: CallSummary): string {
	if (summary.people !== undefined) {
		if (summary.outcome === 'failed' && summary.durationSec === 0) return 'Group call failed';
		return `Group call, ${duration(summary.durationSec)}, ${summary.people} ${summary.people === 1 ? 'person' : 'people'}`;
	}
	const kind = summary.callKind === 'video' ? 'Video call' : 'Voice call';
	switch (summary.outcome) {
		case 'completed':
			return `${kind}, ${duration(summary.durationSec)}`;
		case 'declined':
			return 'Declined call';
		case 'cancelled':
		case 'missed':
		case 'busy':
			return 'Missed call';
		case 'failed':
			return 'Call failed';
	}
}

/** 4:12, or 1:02:03 past an hour. */
function duration(seconds: number): string {
	const s = Math.max(0, Math.round(seconds));
	const h = Math.floor(s / 3600);
	const m = Math.floor((s % 3600) / 60);
	const sec = String(s % 60).padStart(2, '0');
	return `${h > 0 ? `${h}:${String(m).padStart(2, '0')}` : m}:${sec}`;
}

const summarySchema = z.strictObject({
	callKind: z.enum(['audio', 'video']),
	durationSec: z.number().int().min(0),
	outcome: z.enum(['completed', 'missed', 'declined', 'cancelled', 'busy', 'failed']),
	people: z.number().int().min(0).optional()
});

/** Reads the stored form of a call line (the JSON of a `CallSummary`); null when it is not one. */
export function parseCallSummary(text: string | null | undefined): CallSummary | null {
	if (!text) return null;
	try {
		const parsed = summarySchema.safeParse(JSON.parse(text));
		return parsed.success ? parsed.data : null;
	} catch {
		return null;
	}
}
