import type { CallEndReason, CallInfo, CallKind, CallOutcome, CallsServerToClientEvents, CallState, CallSummary, UserCard } from '../../src/lib/protocol/index.js';
import { newId } from '../db/ids.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';

/** What a call needs of its media (a `CallMedia` on the SFU; a fake in unit tests). */
export interface MediaHandle {
	join(userId: string): void;
	leave(userId: string): void;
	close(): void;
}

/** How the service reaches people: every device of users, or the one socket a peer is in the call on. */
export interface CallSignals {
	toUsers<E extends keyof CallsServerToClientEvents>(userIds: readonly string[], event: E, payload: Parameters<CallsServerToClientEvents[E]>[0], exceptSocket?: string): void;
}

export interface CallsDeps {
	signals: CallSignals;
	/**
	 * The thread's other member and the caller as the callee sees them; throws `not_found` when the
	 * thread does not exist or `userId` is not in it.
	 */
	peerOf(threadId: string, userId: string): Promise<{ calleeId: string; caller: UserCard }>;
	/** Makes a call's media (a router on the next worker); null when this server cannot carry calls. */
	media: ((call: Call) => Promise<MediaHandle>) | null;
	/** Why `media` is null, said to people. */
	unavailableReason?: string;
	/** Writes the call's line in its thread (a message of kind `call`). */
	record(call: Call, summary: CallSummary): Promise<void>;
	/** An unanswered call ends with `no_answer` after this long. */
	ringTimeoutMs: number;
	/** Default `Date.now`. */
	now?: () => number;
	log: Logger;
}

/** One call. It owns its ring timer and its media, and leaves the registry when it closes. */
export class Call {
	readonly id = newId();
	state: CallState = 'ringing';
	/** The socket each peer is in the call on: the caller's from invite, the callee's from accept. */
	callerSocket: string;
	calleeSocket: string | null = null;
	readonly createdAt: number;
	answeredAt: number | null = null;
	endedAt: number | null = null;
	endReason: CallEndReason | null = null;
	/** A call with oneself (/call-test): media goes to the SFU and back; no thread, no line. */
	loopback = false;
	/** Settles once the router is made; rejects when it could not be. */
	media: Promise<MediaHandle> | null = null;
	timer: NodeJS.Timeout | null = null;
	private onClose: (() => void) | null;

	constructor(
		readonly threadId: string,
		readonly kind: CallKind,
		readonly callerId: string,
		readonly calleeId: string,
		callerSocket: string,
		now: number,
		onClose: () => void
	) {
		this.callerSocket = callerSocket;
		this.createdAt = now;
		this.onClose = onClose;
	}

	has(userId: string): boolean {
		return userId === this.callerId || userId === this.calleeId;
	}

	other(userId: string): string {
		return userId === this.callerId ? this.calleeId : this.callerId;
	}

	socketOf(userId: string): string | null {
		return userId === this.callerId ? this.callerSocket : this.calleeSocket;
	}

	info(): CallInfo {
		const info: CallInfo = { callId: this.id, threadId: this.threadId, kind: this.kind, callerId: this.callerId, calleeId: this.calleeId, state: this.state };
		if (this.answeredAt !== null) info.answeredAt = new Date(this.answeredAt).toISOString();
		if (this.endReason) info.endReason = this.endReason;
		return info;
	}

	/** What the thread's line records. */
	summary(): CallSummary {
		const durationSec = this.answeredAt !== null && this.endedAt !== null ? Math.max(0, Math.round((this.endedAt - this.answeredAt) / 1000)) : 0;
		return { callKind: this.kind, durationSec, outcome: outcomeOf(this.endReason ?? 'hangup', this.answeredAt !== null) };
	}

	/** Stops the ring timer, releases the media (once made) and leaves the registry. Idempotent. */
	close(): void {
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
		void this.media?.then(
			(m) => m.close(),
			() => undefined
		);
		const onClose = this.onClose;
		this.onClose = null;
		onClose?.();
	}
}

/** How a call that ended for `reason` is recorded. */
export function outcomeOf(reason: CallEndReason, answered: boolean): CallOutcome {
	if (answered) return 'completed';
	switch (reason) {
		case 'declined':
			return 'declined';
		case 'busy':
			return 'busy';
		case 'no_answer':
			return 'missed';
		case 'media_failed':
			return 'failed';
		default:
			return 'cancelled';
	}
}

/** The calls in progress, by id, by user (a user is in at most one) and by socket. */
export class CallRegistry {
	private readonly byId = new Map<string, Call>();
	private readonly byUser = new Map<string, Call>();

	add(call: Call): void {
		this.byId.set(call.id, call);
		this.byUser.set(call.callerId, call);
		this.byUser.set(call.calleeId, call);
	}

	remove(call: Call): void {
		if (this.byId.get(call.id) === call) this.byId.delete(call.id);
		for (const id of [call.callerId, call.calleeId]) if (this.byUser.get(id) === call) this.byUser.delete(id);
	}

	get(callId: string): Call | undefined {
		return this.byId.get(callId);
	}

	ofUser(userId: string): Call | undefined {
		return this.byUser.get(userId);
	}

	onSocket(socketId: string): Call[] {
		return [...this.byId.values()].filter((c) => c.callerSocket === socketId || c.calleeSocket === socketId);
	}

	all(): Call[] {
		return [...this.byId.values()];
	}

	get size(): number {
		return this.byId.size;
	}
}

/**
 * The call state machine: ringing → active → ended, or ringing → ended (declined, cancelled, busy, no
 * answer, a dropped socket, a dead worker). Every end closes the call (its media and timer), tells both
 * people on all their devices, and writes the call's line in the thread.
 */
export class CallsService {
	readonly registry = new CallRegistry();
	private readonly pending = new Set<Promise<void>>();
	private readonly now: () => number;
	private closed = false;

	constructor(private readonly deps: CallsDeps) {
		this.now = deps.now ?? Date.now;
	}

	get available(): boolean {
		return this.deps.media !== null && !this.closed;
	}

	async invite(userId: string, socketId: string, input: { threadId: string; video: boolean }): Promise<CallInfo> {
		if (!this.deps.media || this.closed) throw new AppError('not_implemented', `calls are unavailable on this server: ${this.deps.unavailableReason ?? 'no media role'}`);
		const { calleeId, caller } = await this.deps.peerOf(input.threadId, userId);
		if (this.registry.ofUser(userId)) throw new AppError('conflict', 'you are already in a call; hang up first');
		const call = new Call(input.threadId, input.video ? 'video' : 'audio', userId, calleeId, socketId, this.now(), () => this.registry.remove(call));
		const log = this.deps.log.with({ call: call.id });
		if (this.registry.ofUser(calleeId)) {
			log.info(`user "${calleeId}" is busy`);
			this.end(call, 'busy');
			return call.info();
		}
		// Registered before any await: a second invite for either person now sees them busy.
		this.registry.add(call);
		call.media = this.deps.media(call);
		call.media.then(
			(media) => {
				media.join(call.callerId);
				if (call.state === 'active') media.join(call.calleeId);
			},
			(error) => {
				log.error('making the call\'s media failed', error);
				this.end(call, 'media_failed');
			}
		);
		call.timer = setTimeout(() => this.end(call, 'no_answer'), this.deps.ringTimeoutMs);
		log.info(`user "${userId}" calls user "${calleeId}" (${call.kind})`);
		this.deps.signals.toUsers([calleeId], 'call:ring', { call: call.info(), caller });
		return call.info();
	}

	/**
	 * A call with yourself, for the call test: your media goes to the SFU and comes back to you, on
	 * this socket. It is in no thread, rings no one, writes no line, and ends after `maxMs`.
	 */
	async loopback(userId: string, socketId: string, maxMs = 60_000): Promise<CallInfo> {
		if (!this.deps.media || this.closed) throw new AppError('not_implemented', `calls are unavailable on this server: ${this.deps.unavailableReason ?? 'no media role'}`);
		if (this.registry.ofUser(userId)) throw new AppError('conflict', 'you are already in a call; hang up first');
		const call = new Call('', 'video', userId, userId, socketId, this.now(), () => this.registry.remove(call));
		call.loopback = true;
		call.state = 'active';
		call.answeredAt = this.now();
		call.calleeSocket = socketId;
		this.registry.add(call);
		call.media = this.deps.media(call);
		call.media.then(
			(media) => media.join(userId),
			() => this.end(call, 'media_failed')
		);
		call.timer = setTimeout(() => this.end(call, 'hangup'), maxMs);
		return call.info();
	}

	async accept(userId: string, socketId: string, callId: string): Promise<CallInfo> {
		const call = this.ringing(callId, userId, 'callee');
		call.state = 'active';
		call.answeredAt = this.now();
		call.calleeSocket = socketId;
		if (call.timer) clearTimeout(call.timer);
		call.timer = null;
		void call.media?.then(
			(media) => media.join(call.calleeId),
			() => undefined
		);
		this.deps.log.with({ call: call.id }).info('answered');
		this.deps.signals.toUsers([call.callerId], 'call:accepted', { call: call.info() });
		// The callee's other devices stop ringing.
		this.deps.signals.toUsers([call.calleeId], 'call:ended', { callId: call.id, reason: 'answered_elsewhere', summary: call.summary() }, socketId);
		return call.info();
	}

	async decline(userId: string, callId: string): Promise<void> {
		this.end(this.ringing(callId, userId, 'callee'), 'declined');
	}

	async cancel(userId: string, callId: string): Promise<void> {
		this.end(this.ringing(callId, userId, 'caller'), 'cancelled');
	}

	/** Either peer, at any time: an unanswered call is cancelled (caller) or declined (callee). */
	async hangup(userId: string, callId: string): Promise<void> {
		const call = this.find(callId, userId);
		if (call.state === 'ringing') this.end(call, userId === call.callerId ? 'cancelled' : 'declined');
		else this.end(call, 'hangup');
	}

	/** The media of a call, for a peer on the socket they are in the call on. */
	async mediaOf<M extends MediaHandle>(userId: string, socketId: string, callId: string): Promise<M> {
		const call = this.find(callId, userId);
		const bound = call.socketOf(userId);
		if (bound === null) throw new AppError('conflict', `call "${callId}" is not answered yet`);
		if (bound !== socketId) throw new AppError('conflict', `call "${callId}" is on your other device`);
		if (!call.media) throw new AppError('not_found', `call "${callId}" not found`);
		return (await call.media) as M;
	}

	/** A socket went away: the calls it was in end (`peer_left`). */
	socketGone(socketId: string): void {
		for (const call of this.registry.onSocket(socketId)) this.end(call, 'peer_left');
	}

	/** Ends every call (the process stops) and waits until their lines are written. */
	async close(): Promise<void> {
		this.closed = true;
		for (const call of this.registry.all()) this.end(call, 'media_failed');
		while (this.pending.size > 0) await Promise.all(this.pending);
	}

	end(call: Call, reason: CallEndReason): void {
		if (call.state === 'ended') return;
		call.state = 'ended';
		call.endReason = reason;
		call.endedAt = this.now();
		call.close();
		const summary = call.summary();
		this.deps.log.with({ call: call.id }).info(`ended: ${reason} (${summary.outcome}, ${summary.durationSec} s)`);
		this.deps.signals.toUsers(call.loopback ? [call.callerId] : [call.callerId, call.calleeId], 'call:ended', { callId: call.id, reason, summary });
		if (call.loopback) return;
		const work = this.deps
			.record(call, summary)
			.catch((error) => this.deps.log.error(`writing the line of call "${call.id}" failed`, error))
			.finally(() => this.pending.delete(work));
		this.pending.add(work);
	}

	private find(callId: string, userId: string): Call {
		const call = this.registry.get(callId);
		// Outsiders cannot tell a call they are not in from one that does not exist.
		if (!call || !call.has(userId)) throw new AppError('not_found', `call "${callId}" not found`);
		return call;
	}

	private ringing(callId: string, userId: string, as: 'caller' | 'callee'): Call {
		const call = this.find(callId, userId);
		if ((as === 'caller' ? call.callerId : call.calleeId) !== userId) throw new AppError('forbidden', `only the ${as} can do that to call "${callId}"`);
		if (call.state !== 'ringing') throw new AppError('conflict', `call "${callId}" was already answered`);
		return call;
	}
}
