import type { Emitter } from '@socket.io/redis-emitter';
import type { ServerToClientEvents, SessionEndReason } from '../../../src/lib/protocol/index.js';
import { endSessions, sessionRoom, userRoom, type ChatServer } from './socket.js';

/** How the chat services reach people: every device of a user, on whatever node it is connected. */
export interface ChatEmitter {
	toUsers<E extends keyof ServerToClientEvents>(userIds: readonly string[], event: E, ...args: Parameters<ServerToClientEvents[E]>): void;
	/** Tells the sockets of ended sessions why, then closes them, on every node. */
	endSessions(sessionIds: readonly string[], reason: SessionEndReason): void;
}

/** Emits through socket.io's rooms `user:<id>` (and its adapter, across nodes). */
export function roomEmitter(io: ChatServer): ChatEmitter {
	return {
		toUsers(userIds, event, ...args) {
			if (userIds.length === 0) return;
			// One emit to several rooms reaches a socket once even when it is in more than one of them.
			(io.to(userIds.map(userRoom)).emit as (event: string, ...args: unknown[]) => boolean)(event, ...args);
		},
		endSessions: (sessionIds, reason) => endSessions(io, [...sessionIds], reason)
	};
}

/**
 * For a process without the chat role (a gateway) in a cluster: publishes to the same Redis channels
 * as the chat nodes' adapter, so the nodes holding the sockets deliver. It only publishes, so the
 * gateway does not receive every broadcast of the cluster as an adapter would make it.
 */
export function redisEmitter(emitter: Emitter<ServerToClientEvents>): ChatEmitter {
	return {
		toUsers(userIds, event, ...args) {
			if (userIds.length === 0) return;
			(emitter.to(userIds.map(userRoom)).emit as (event: string, ...args: unknown[]) => true)(event, ...args);
		},
		endSessions(sessionIds, reason) {
			for (const id of sessionIds) {
				emitter.to(sessionRoom(id)).emit('session:ended', { reason });
				// Published after the event, on the same connection: each node sees the event first.
				emitter.in(sessionRoom(id)).disconnectSockets(true);
			}
		}
	};
}
