import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents, SessionEndReason } from '../../../src/lib/protocol/index.js';

// A leaf: the socket.io types and rooms every layer of the chat uses; it imports nothing of the chat.

export interface SocketData {
	userId: string;
	sessionId: string;
	/** In a cluster: the connection the balancer reserved for this socket's ticket. */
	reservation?: { node: string; id: string };
	/** `presence:visibility`: the page is hidden (a background tab); Web Push counts only visible pages as looking. */
	hidden?: boolean;
}

export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export const userRoom = (userId: string) => `user:${userId}`;
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;

/** Tells the sockets of ended sessions why, then closes them (on every node, through the adapter). */
export function endSessions(io: ChatServer, sessionIds: string[], reason: SessionEndReason): void {
	for (const id of sessionIds) {
		io.to(sessionRoom(id)).emit('session:ended', { reason });
		// Emit goes out before the disconnect packet on the same connection, so the client reads the reason.
		io.in(sessionRoom(id)).disconnectSockets(true);
	}
}
