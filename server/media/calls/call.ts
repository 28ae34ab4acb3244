import type { CallEndReason, CallInfo, CallKind, CallOutcome, CallState, CallSummary } from '../../../src/lib/protocol/index.js';
import { newId } from '../../db/ids.js';

/** What a call needs of its media (a `CallMedia` on the SFU; a fake in unit tests). */
export interface MediaHandle {
	join(userId: string): void;
	leave(userId: string): void;
	close(): void;
}

/** Someone in a call: the socket they are in it on, and the chat node that socket is on. */
export interface Participant {
	socketId: string;
	/** The chat node's id (`NODE_ID`); its heartbeat stopping drops the participant. */
	node: string;
	joinedAt: number;
}

export interface CallInit {
	threadId: string;
	kind: CallKind;
	/** A group call: members join and leave at will; it ends when the last one leaves. */
	group: boolean;
	callerId: string;
	/** The other member of a 1:1 call; '' in a group call. */
	calleeId: string;
	/** Who may be in it: the thread's members when it started (1:1: both). */
	members: readonly string[];
	now: number;
}

/**
 * One call, 1:1 or of many: who may join (`members`), who is in it now (`participants`, each on one
 * socket), who ever was (`people`, for the group line). It owns its ring timer and its media.
 */
export class Call {
	readonly id = newId();
	readonly threadId: string;
	readonly kind: CallKind;
	readonly group: boolean;
	readonly callerId: string;
	readonly calleeId: string;
	readonly members: Set<string>;
	readonly participants = new Map<string, Participant>();
	/** Everyone who was ever in the call. */
	readonly people = new Set<string>();
	state: CallState = 'ringing';
	readonly createdAt: number;
	answeredAt: number | null = null;
	endedAt: number | null = null;
	endReason: CallEndReason | null = null;
	/** A call with oneself (/call-test): media goes to the SFU and back; no thread, no line. */
	loopback = false;
	/** Settles once the router is made; rejects when it could not be. */
	media: Promise<MediaHandle> | null = null;
	timer: NodeJS.Timeout | null = null;
	private onClose: (() => void) | null = null;

	constructor(init: CallInit) {
		this.threadId = init.threadId;
		this.kind = init.kind;
		this.group = init.group;
		this.callerId = init.callerId;
		this.calleeId = init.calleeId;
		this.members = new Set(init.members);
		this.createdAt = init.now;
	}

	/** Called once, when the call closes (the registry forgets it). */
	whenClosed(onClose: () => void): void {
		this.onClose = onClose;
	}

	/** A member of the call's thread (as it started), who may see and join it. */
	isMember(userId: string): boolean {
		return this.members.has(userId);
	}

	socketOf(userId: string): string | null {
		return this.participants.get(userId)?.socketId ?? null;
	}

	add(userId: string, socketId: string, node: string, now: number): void {
		this.participants.set(userId, { socketId, node, joinedAt: now });
		this.people.add(userId);
	}

	info(): CallInfo {
		const info: CallInfo = {
			callId: this.id,
			threadId: this.threadId,
			kind: this.kind,
			callerId: this.callerId,
			calleeId: this.calleeId,
			state: this.state,
			group: this.group,
			participants: [...this.participants].map(([userId, p]) => ({ userId, joinedAt: new Date(p.joinedAt).toISOString() }))
		};
		if (this.answeredAt !== null) info.answeredAt = new Date(this.answeredAt).toISOString();
		if (this.endReason) info.endReason = this.endReason;
		return info;
	}

	/** What the thread's line records. */
	summary(): CallSummary {
		const durationSec = this.answeredAt !== null && this.endedAt !== null ? Math.max(0, Math.round((this.endedAt - this.answeredAt) / 1000)) : 0;
		const summary: CallSummary = { callKind: this.kind, durationSec, outcome: outcomeOf(this.endReason ?? 'hangup', this.answeredAt !== null) };
		if (this.group) summary.people = this.people.size;
		return summary;
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
	if (reason === 'media_lost' && !answered) return 'failed';
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

/** The calls this media node hosts, by id, by participant (a user is in at most one) and by socket. */
export class CallRegistry {
	private readonly byId = new Map<string, Call>();
	private readonly byUser = new Map<string, Call>();

	add(call: Call): void {
		this.byId.set(call.id, call);
	}

	/** `userId` is in (or rung by, 1:1) `call` now. */
	bind(userId: string, call: Call): void {
		this.byUser.set(userId, call);
	}

	unbind(userId: string, call: Call): void {
		if (this.byUser.get(userId) === call) this.byUser.delete(userId);
	}

	remove(call: Call): void {
		if (this.byId.get(call.id) === call) this.byId.delete(call.id);
		for (const [userId, c] of this.byUser) if (c === call) this.byUser.delete(userId);
	}

	get(callId: string): Call | undefined {
		return this.byId.get(callId);
	}

	ofUser(userId: string): Call | undefined {
		return this.byUser.get(userId);
	}

	/** The (call, user) pairs whose participant is on `socketId`. */
	onSocket(socketId: string): Array<{ call: Call; userId: string }> {
		const out: Array<{ call: Call; userId: string }> = [];
		for (const call of this.byId.values()) for (const [userId, p] of call.participants) if (p.socketId === socketId) out.push({ call, userId });
		return out;
	}

	all(): Call[] {
		return [...this.byId.values()];
	}

	get size(): number {
		return this.byId.size;
	}
}
