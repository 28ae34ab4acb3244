import type { CallEndReason, CallInfo, CallsServerToClientEvents, LiveServerToClientEvents, UserCard } from '../../../src/lib/protocol/index.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { CallDirectory } from '../cluster/directory.js';
import { Call, CallRegistry, type MediaHandle } from './call.js';

/** Who asks: a user, on a socket, on a chat node. */
export interface CallContext {
	userId: string;
	socketId: string;
	/** The chat node the socket is on. */
	node: string;
}

/** The events a media node sends: the calls' and the live streams'. */
export type MediaEvents = CallsServerToClientEvents & LiveServerToClientEvents;

/** How the service reaches people: every device of users, or one socket (on whatever chat node). */
export interface CallSignals {
	toUsers<E extends keyof MediaEvents>(userIds: readonly string[], event: E, payload: Parameters<MediaEvents[E]>[0], exceptSocket?: string): void;
	toSocket<E extends keyof MediaEvents>(socketId: string, event: E, payload: Parameters<MediaEvents[E]>[0]): void;
}

/** A call to start, as the chat node that took `call:invite` found its thread. */
export interface InviteInput {
	threadId: string;
	video: boolean;
	group: boolean;
	/** The thread's members (the caller among them). */
	members: string[];
	/** The caller as the others see them (for `call:ring`). */
	caller: UserCard;
}

export interface CallsDeps {
	/** This media node's id: the directory says calls live here. */
	hostId: string;
	signals: CallSignals;
	directory: CallDirectory;
	/** Makes a call's media (a router on a worker); null when this node cannot carry calls. */
	media: ((call: Call) => Promise<MediaHandle>) | null;
	/** Why `media` is null, said to people. */
	unavailableReason?: string;
	/** Writes the call's line in its thread (a message of kind `call`). */
	record(call: Call): Promise<void>;
	/** An unanswered 1:1 call ends with `no_answer` after this long. */
	ringTimeoutMs: number;
	maxParticipants: number;
	/** Default `Date.now`. */
	now?: () => number;
	log: Logger;
}

/**
 * The calls a media node hosts, 1:1 and of many. A 1:1 call rings (→ active on accept, or ended:
 * declined, cancelled, busy, no answer); a group call is active from its start, members join and leave,
 * and it ends when the last one leaves. Every end closes the call's media, tells every member, and
 * writes the call's line; every change is mirrored in the directory, so any chat node can find the call.
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

	async invite(ctx: CallContext, input: InviteInput): Promise<CallInfo> {
		this.mustCarry();
		const calleeId = input.group ? '' : (input.members.find((id) => id !== ctx.userId) ?? '');
		const call = new Call({ threadId: input.threadId, kind: input.video ? 'video' : 'audio', group: input.group, callerId: ctx.userId, calleeId, members: input.members, now: this.now() });
		const log = this.deps.log.with({ call: call.id });
		await this.publish(call);
		if (input.group) {
			const running = await this.deps.directory.claimThread(input.threadId, call.id);
			if (running) {
				await this.deps.directory.remove({ call: call.info(), members: [] });
				throw new AppError('conflict', 'a call is already in progress in this thread; join it', { fields: { callId: running } });
			}
		}
		if (await this.deps.directory.claimUser(ctx.userId, call.id)) {
			await this.deps.directory.remove({ call: call.info(), members: [] });
			throw new AppError('conflict', 'you are already in a call; hang up first');
		}
		this.registry.add(call);
		call.whenClosed(() => this.registry.remove(call));
		call.add(ctx.userId, ctx.socketId, ctx.node, this.now());
		this.registry.bind(ctx.userId, call);
		if (!input.group && (await this.deps.directory.claimUser(calleeId, call.id))) {
			log.info(`user "${calleeId}" is busy`);
			this.end(call, 'busy');
			return call.info();
		}
		if (!input.group) this.registry.bind(calleeId, call);
		this.startMedia(call, [ctx.userId]);
		if (input.group) {
			call.state = 'active';
			call.answeredAt = this.now();
		} else {
			call.timer = setTimeout(() => this.end(call, 'no_answer'), this.deps.ringTimeoutMs);
		}
		await this.publish(call);
		log.info(`user "${ctx.userId}" ${input.group ? 'starts a group call in' : 'calls into'} thread "${input.threadId}" (${call.kind})`);
		const others = [...call.members].filter((id) => id !== ctx.userId);
		this.deps.signals.toUsers(others, 'call:ring', { call: call.info(), caller: input.caller });
		if (input.group) this.deps.signals.toUsers([...call.members], 'call:updated', { call: call.info() });
		return call.info();
	}

	/**
	 * A call with yourself, for the call test: your media goes to the SFU and comes back to you, on
	 * this socket. It is in no thread, rings no one, writes no line, and ends after `maxMs`.
	 */
	async loopback(ctx: CallContext, maxMs = 60_000): Promise<CallInfo> {
		this.mustCarry();
		const call = new Call({ threadId: '', kind: 'video', group: false, callerId: ctx.userId, calleeId: ctx.userId, members: [ctx.userId], now: this.now() });
		call.loopback = true;
		await this.publish(call);
		if (await this.deps.directory.claimUser(ctx.userId, call.id)) {
			await this.deps.directory.remove({ call: call.info(), members: [] });
			throw new AppError('conflict', 'you are already in a call; hang up first');
		}
		call.state = 'active';
		call.answeredAt = this.now();
		this.registry.add(call);
		call.whenClosed(() => this.registry.remove(call));
		call.add(ctx.userId, ctx.socketId, ctx.node, this.now());
		this.registry.bind(ctx.userId, call);
		this.startMedia(call, [ctx.userId]);
		call.timer = setTimeout(() => this.end(call, 'hangup'), maxMs);
		await this.publish(call);
		return call.info();
	}

	/** The callee answers a 1:1 call; in a group call, the same as `join`. */
	async accept(ctx: CallContext, callId: string): Promise<CallInfo> {
		const call = this.find(callId, ctx.userId);
		if (call.group) return this.join(ctx, callId);
		if (ctx.userId !== call.calleeId) throw new AppError('forbidden', `only the callee can do that to call "${callId}"`);
		if (call.state !== 'ringing') throw new AppError('conflict', `call "${callId}" was already answered`);
		call.state = 'active';
		call.answeredAt = this.now();
		if (call.timer) clearTimeout(call.timer);
		call.timer = null;
		call.add(ctx.userId, ctx.socketId, ctx.node, this.now());
		void call.media?.then(
			(media) => media.join(ctx.userId),
			() => undefined
		);
		await this.publish(call);
		this.deps.log.with({ call: call.id }).info('answered');
		this.deps.signals.toUsers([call.callerId], 'call:accepted', { call: call.info() });
		// The callee's other devices stop ringing.
		this.deps.signals.toUsers([call.calleeId], 'call:ended', { callId: call.id, reason: 'answered_elsewhere', summary: call.summary() }, ctx.socketId);
		return call.info();
	}

	/**
	 * Joins a group call, or moves a call you are in (either kind) to this socket: the old one is told
	 * `moved` and what it had on the SFU closes.
	 */
	async join(ctx: CallContext, callId: string): Promise<CallInfo> {
		const call = this.find(callId, ctx.userId);
		const current = call.participants.get(ctx.userId);
		if (!current && !call.group) {
			if (ctx.userId === call.calleeId && call.state === 'ringing') return this.accept(ctx, callId);
			throw new AppError('conflict', `call "${callId}" is a 1:1 call you are not in`);
		}
		if (current?.socketId === ctx.socketId) return call.info();
		if (!current) {
			if (call.participants.size >= this.deps.maxParticipants) throw new AppError('conflict', `the call is full (at most ${this.deps.maxParticipants} people)`);
			const other = await this.deps.directory.claimUser(ctx.userId, call.id);
			if (other) throw new AppError('conflict', 'you are already in another call; hang up first');
			if (call.state === 'ended') throw new AppError('not_found', `call "${callId}" not found`);
			this.registry.bind(ctx.userId, call);
		} else {
			this.deps.signals.toSocket(current.socketId, 'call:ended', { callId: call.id, reason: 'moved', summary: call.summary() });
		}
		const media = call.media ? await call.media.catch(() => null) : null;
		if (current) media?.leave(ctx.userId);
		call.add(ctx.userId, ctx.socketId, ctx.node, current?.joinedAt ?? this.now());
		media?.join(ctx.userId);
		await this.publish(call);
		this.deps.log.with({ call: call.id }).info(`user "${ctx.userId}" ${current ? 'moved to another device' : 'joined'}`);
		if (call.group) this.deps.signals.toUsers([...call.members], 'call:updated', { call: call.info() });
		return call.info();
	}

	async decline(ctx: CallContext, callId: string): Promise<void> {
		const call = this.find(callId, ctx.userId);
		if (call.group) {
			if (call.participants.has(ctx.userId)) throw new AppError('conflict', 'you are in this call; hang up to leave it');
			this.deps.signals.toUsers([ctx.userId], 'call:ended', { callId: call.id, reason: 'declined', summary: call.summary() });
			return;
		}
		this.end(this.ringing(call, ctx.userId, 'callee'), 'declined');
	}

	async cancel(ctx: CallContext, callId: string): Promise<void> {
		const call = this.find(callId, ctx.userId);
		if (call.group) return this.hangup(ctx, callId);
		this.end(this.ringing(call, ctx.userId, 'caller'), 'cancelled');
	}

	/** Ends a 1:1 call (an unanswered one is cancelled or declined); leaves a group call. */
	async hangup(ctx: CallContext, callId: string): Promise<void> {
		const call = this.find(callId, ctx.userId);
		if (call.group) return this.leave(call, ctx.userId, 'hangup');
		if (call.state === 'ringing') this.end(call, ctx.userId === call.callerId ? 'cancelled' : 'declined');
		else this.end(call, 'hangup');
	}

	/** The media of a call, for a participant on the socket they are in the call on. */
	async mediaOf<M extends MediaHandle>(ctx: CallContext, callId: string): Promise<M> {
		const call = this.find(callId, ctx.userId);
		const bound = call.socketOf(ctx.userId);
		if (bound === null) throw new AppError('conflict', call.group ? `join call "${callId}" first` : `call "${callId}" is not answered yet`);
		if (bound !== ctx.socketId) throw new AppError('conflict', `call "${callId}" is on your other device`);
		if (!call.media) throw new AppError('not_found', `call "${callId}" not found`);
		return (await call.media) as M;
	}

	/** A socket went away: its person leaves the calls it was in (a 1:1 call ends, `peer_left`). */
	socketGone(socketId: string): void {
		for (const { call, userId } of this.registry.onSocket(socketId)) {
			if (call.group) void this.leave(call, userId, 'peer_left');
			else this.end(call, 'peer_left');
		}
	}

	/** Chat nodes whose heartbeat stopped: their sockets are gone without a word. */
	nodesGone(nodes: ReadonlySet<string>): void {
		for (const call of this.registry.all()) {
			for (const [, p] of call.participants) if (nodes.has(p.node)) this.socketGone(p.socketId);
		}
	}

	/** The chat nodes participants are on (watched for death). */
	participantNodes(): Set<string> {
		const nodes = new Set<string>();
		for (const call of this.registry.all()) for (const p of call.participants.values()) nodes.add(p.node);
		return nodes;
	}

	/** Ends every call (the process stops) with `reason`, and waits until their lines are written. */
	async close(reason: CallEndReason = 'media_failed'): Promise<void> {
		this.closed = true;
		for (const call of this.registry.all()) this.end(call, reason);
		await this.settled();
	}

	/** Stops taking new calls (a draining media node); those running go on. */
	stopTaking(): void {
		this.closed = true;
	}

	async settled(): Promise<void> {
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
		const told = call.loopback ? [call.callerId] : call.group ? [...call.members] : [call.callerId, call.calleeId];
		this.deps.signals.toUsers(told, 'call:ended', { callId: call.id, reason, summary });
		this.track(
			this.deps.directory
				.remove({ call: call.info(), members: [...new Set([...call.members, ...call.people])] })
				.then(() => (call.loopback ? undefined : this.deps.record(call)))
		);
	}

	private async leave(call: Call, userId: string, reason: 'hangup' | 'peer_left'): Promise<void> {
		if (!call.participants.delete(userId)) return;
		this.registry.unbind(userId, call);
		void call.media?.then(
			(m) => m.leave(userId),
			() => undefined
		);
		if (call.participants.size === 0) return this.end(call, reason);
		this.deps.log.with({ call: call.id }).info(`user "${userId}" left (${reason})`);
		// The directory first, so a `call:active` right after the event already shows who left.
		const stored = Promise.all([this.publish(call), this.deps.directory.releaseUser(userId, call.id)]).then(() => undefined);
		this.track(stored);
		await stored.catch(() => undefined);
		if (call.state !== 'ended') this.deps.signals.toUsers([...call.members], 'call:updated', { call: call.info() });
	}

	private startMedia(call: Call, joined: string[]): void {
		call.media = this.deps.media!(call);
		call.media.then(
			(media) => {
				for (const userId of joined) media.join(userId);
				for (const userId of call.participants.keys()) if (!joined.includes(userId)) media.join(userId);
			},
			(error) => {
				this.deps.log.with({ call: call.id }).error("making the call's media failed", error);
				this.end(call, 'media_failed');
			}
		);
	}

	private publish(call: Call): Promise<void> {
		return this.deps.directory.put({ host: this.deps.hostId, call: call.info(), members: [...call.members], people: [...call.people], createdAt: call.createdAt });
	}

	private track(work: Promise<unknown>): void {
		const done: Promise<void> = work
			.then(() => undefined)
			.catch((error) => this.deps.log.error('recording a call change failed', error))
			.finally(() => this.pending.delete(done));
		this.pending.add(done);
	}

	private mustCarry(): void {
		if (!this.deps.media || this.closed) throw new AppError('not_implemented', `calls are unavailable on this server: ${this.closed ? 'it is stopping' : (this.deps.unavailableReason ?? 'no media role')}`);
	}

	private find(callId: string, userId: string): Call {
		const call = this.registry.get(callId);
		// Outsiders cannot tell a call they are not in from one that does not exist.
		if (!call || !(call.isMember(userId) || call.participants.has(userId))) throw new AppError('not_found', `call "${callId}" not found`);
		return call;
	}

	private ringing(call: Call, userId: string, as: 'caller' | 'callee'): Call {
		if ((as === 'caller' ? call.callerId : call.calleeId) !== userId) throw new AppError('forbidden', `only the ${as} can do that to call "${call.id}"`);
		if (call.state !== 'ringing') throw new AppError('conflict', `call "${call.id}" was already answered`);
		return call;
	}
}
