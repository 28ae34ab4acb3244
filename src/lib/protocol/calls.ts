import { z } from 'zod';
import type { AckCallback } from './socket';
import type { Empty, UserCard } from './chat';

/**
 * Calls (docs/PROTOCOL.md, "Calls and media"): `call:*` rings, answers and ends a 1:1 call in a private
 * thread; `media:*` negotiates its audio and video with the server's SFU (mediasoup). Both ride the chat
 * socket. The payloads of `media:*` that carry mediasoup's own structures (RTP capabilities and
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
export type CallEndReason = 'hangup' | 'cancelled' | 'declined' | 'busy' | 'no_answer' | 'answered_elsewhere' | 'peer_left' | 'media_failed';
/** What the call line in the thread says happened. */
export type CallOutcome = 'completed' | 'missed' | 'declined' | 'cancelled' | 'busy' | 'failed';
export type MediaSource = 'mic' | 'camera' | 'screen';

/** The structured part of a message of kind `call` (its `text` is the same, said for people). */
export interface CallSummary {
	callKind: CallKind;
	/** Seconds from answer to end; 0 for a call never answered. */
	durationSec: number;
	outcome: CallOutcome;
}

export interface CallInfo {
	callId: string;
	threadId: string;
	kind: CallKind;
	callerId: string;
	calleeId: string;
	state: CallState;
	/** When the callee answered (ISO 8601). */
	answeredAt?: string;
	/** Only when `state` is `ended`. */
	endReason?: CallEndReason;
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

const id = (what: string) =>
	z
		.string({ message: `${what} must be a string` })
		.min(1, { message: `${what} must not be empty` })
		.max(64, { message: `${what} is at most 64 characters` });

/** A JSON object from mediasoup(-client): shape checked by mediasoup; here only bounded in size. */
const blob = (what: string, maxBytes = 16 * 1024) =>
	z
		.record(z.string(), z.unknown(), { message: `${what} must be an object` })
		.refine((v) => JSON.stringify(v).length <= maxBytes, { message: `${what} is at most ${maxBytes} bytes of JSON` });

export const callInviteRequest = z.strictObject({ threadId: id('threadId'), video: z.boolean({ message: 'video must be true or false' }) });
export const callIdRequest = z.strictObject({ callId: id('callId') });

export const mediaCreateTransportRequest = z.strictObject({
	callId: id('callId'),
	direction: z.enum(['send', 'recv'], { message: 'direction must be send or recv' })
});
export const mediaConnectTransportRequest = z.strictObject({
	callId: id('callId'),
	transportId: id('transportId'),
	dtlsParameters: blob('dtlsParameters')
});
export const mediaProduceRequest = z.strictObject({
	callId: id('callId'),
	transportId: id('transportId'),
	kind: z.enum(['audio', 'video'], { message: 'kind must be audio or video' }),
	rtpParameters: blob('rtpParameters'),
	appData: z.strictObject({ source: z.enum(['mic', 'camera', 'screen'], { message: 'appData.source must be mic, camera or screen' }) })
});
export const mediaConsumeRequest = z.strictObject({
	callId: id('callId'),
	transportId: id('transportId'),
	producerId: id('producerId'),
	rtpCapabilities: blob('rtpCapabilities', 64 * 1024)
});
export const mediaProducerRequest = z.strictObject({ callId: id('callId'), producerId: id('producerId') });
export const mediaConsumerRequest = z.strictObject({ callId: id('callId'), consumerId: id('consumerId') });

export type CallInviteRequest = z.input<typeof callInviteRequest>;
export type CallIdRequest = z.input<typeof callIdRequest>;
export type MediaCreateTransportRequest = z.input<typeof mediaCreateTransportRequest>;
export type MediaConnectTransportRequest = z.input<typeof mediaConnectTransportRequest>;
export type MediaProduceRequest = z.input<typeof mediaProduceRequest>;
export type MediaConsumeRequest = z.input<typeof mediaConsumeRequest>;
export type MediaProducerRequest = z.input<typeof mediaProducerRequest>;
export type MediaConsumerRequest = z.input<typeof mediaConsumerRequest>;

// ---- events ----------------------------------------------------------------------------------

export interface CallsClientToServerEvents {
	'call:config': (payload: Empty, ack: AckCallback<CallConfigResponse>) => void;
	'call:invite': (payload: CallInviteRequest, ack: AckCallback<{ call: CallInfo }>) => void;
	/** A call with yourself through the SFU (the call test page): active at once, ends within 60 s. */
	'call:test': (payload: Empty, ack: AckCallback<{ call: CallInfo }>) => void;
	'call:accept': (payload: CallIdRequest, ack: AckCallback<{ call: CallInfo }>) => void;
	'call:decline': (payload: CallIdRequest, ack: AckCallback<Empty>) => void;
	'call:cancel': (payload: CallIdRequest, ack: AckCallback<Empty>) => void;
	'call:hangup': (payload: CallIdRequest, ack: AckCallback<Empty>) => void;
	'media:routerRtpCapabilities': (payload: CallIdRequest, ack: AckCallback<{ rtpCapabilities: unknown }>) => void;
	'media:createTransport': (payload: MediaCreateTransportRequest, ack: AckCallback<{ transport: TransportInfo; iceServers: IceServer[] }>) => void;
	'media:connectTransport': (payload: MediaConnectTransportRequest, ack: AckCallback<Empty>) => void;
	'media:produce': (payload: MediaProduceRequest, ack: AckCallback<{ producerId: string }>) => void;
	'media:producers': (payload: CallIdRequest, ack: AckCallback<{ producers: ProducerInfo[] }>) => void;
	'media:consume': (payload: MediaConsumeRequest, ack: AckCallback<{ consumer: ConsumerInfo }>) => void;
	'media:resumeConsumer': (payload: MediaConsumerRequest, ack: AckCallback<Empty>) => void;
	'media:pauseProducer': (payload: MediaProducerRequest, ack: AckCallback<Empty>) => void;
	'media:resumeProducer': (payload: MediaProducerRequest, ack: AckCallback<Empty>) => void;
	'media:closeProducer': (payload: MediaProducerRequest, ack: AckCallback<Empty>) => void;
}

export interface CallsServerToClientEvents {
	/** To every device of the callee. */
	'call:ring': (payload: { call: CallInfo; caller: UserCard }) => void;
	/** To every device of the caller. */
	'call:accepted': (payload: { call: CallInfo }) => void;
	/** To every device of both; `summary` is what the thread's call line records. */
	'call:ended': (payload: { callId: string; reason: CallEndReason; summary: CallSummary }) => void;
	/** To the peer's call socket. */
	'media:newProducer': (payload: { callId: string; producer: ProducerInfo }) => void;
	'media:producerClosed': (payload: { callId: string; producerId: string }) => void;
	'media:producerPaused': (payload: { callId: string; producerId: string }) => void;
	'media:producerResumed': (payload: { callId: string; producerId: string }) => void;
}

/** The thread line of a call, for people: "Video call, 4:12", "Missed call". */
export function callLine(summary: CallSummary): string {
	const kind = summary.callKind === 'video' ? 'Video call' : 'Voice call';
	switch (summary.outcome) {
		case 'completed': {
			const s = Math.max(0, Math.round(summary.durationSec));
			const h = Math.floor(s / 3600);
			const m = Math.floor((s % 3600) / 60);
			const sec = String(s % 60).padStart(2, '0');
			return `${kind}, ${h > 0 ? `${h}:${String(m).padStart(2, '0')}` : m}:${sec}`;
		}
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

const summarySchema = z.strictObject({
	callKind: z.enum(['audio', 'video']),
	durationSec: z.number().int().min(0),
	outcome: z.enum(['completed', 'missed', 'declined', 'cancelled', 'busy', 'failed'])
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
