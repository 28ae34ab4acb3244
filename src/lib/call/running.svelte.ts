import type { ChatSocket } from '$lib/chat/connection';
import type { CallInfo } from '$lib/protocol';

/**
 * The group calls in progress in your threads, by thread, as runes: filled by `call:active` on every
 * (re)connect, kept live by `call:updated` (start, join, leave) and `call:ended`. A thread shows
 * "Call in progress" with who is in it from here.
 */
export class RunningCalls {
	byThread = $state<Record<string, CallInfo>>({});

	/** Listens on a new socket and asks it for the calls in progress now. */
	attach(socket: ChatSocket, active: () => Promise<{ calls: CallInfo[] }>): void {
		socket.on('call:updated', ({ call }) => this.put(call));
		// `declined` (you dismissed its ringing), `moved` and `answered_elsewhere` are about your devices, not the call.
		socket.on('call:ended', ({ callId, reason }) => {
			if (reason !== 'declined' && reason !== 'moved' && reason !== 'answered_elsewhere') this.remove(callId);
		});
		void active().then(
			({ calls }) => {
				const next: Record<string, CallInfo> = {};
				for (const call of calls) if (call.group && call.state !== 'ended' && call.participants.length > 0) next[call.threadId] = call;
				this.byThread = next;
			},
			() => undefined
		);
	}

	/** A group call's newest state (one that has ended or emptied goes away). */
	put(call: CallInfo): void {
		if (!call.group) return;
		if (call.state === 'ended' || call.participants.length === 0) return this.remove(call.callId);
		this.byThread[call.threadId] = call;
	}

	remove(callId: string): void {
		for (const [threadId, call] of Object.entries(this.byThread)) if (call.callId === callId) delete this.byThread[threadId];
	}

	of(threadId: string): CallInfo | null {
		return this.byThread[threadId] ?? null;
	}
}
