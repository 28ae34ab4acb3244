import type { ServerToClientEvents } from '../../src/lib/protocol/index.js';
import { userRoom, type ChatServer } from './chat.server.js';

/** How the chat services reach people: every device of a user, on whatever node it is connected. */
export interface ChatEmitter {
	toUsers<E extends keyof ServerToClientEvents>(userIds: readonly string[], event: E, ...args: Parameters<ServerToClientEvents[E]>): void;
}

/** Emits through socket.io's rooms `user:<id>` (and its adapter, across nodes). */
export function roomEmitter(io: ChatServer): ChatEmitter {
	return {
		toUsers(userIds, event, ...args) {
			if (userIds.length === 0) return;
			// One emit to several rooms reaches a socket once even when it is in more than one of them.
			(io.to(userIds.map(userRoom)).emit as (event: string, ...args: unknown[]) => boolean)(event, ...args);
		}
	};
}
