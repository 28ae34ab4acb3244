import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents, SessionEndReason } from '../../src/lib/protocol/index.js';
import type { AuthService } from '../auth/auth.service.js';
import type { Logger } from '../logger.js';
import type { Tickets } from './tickets.js';

export interface SocketData {
	userId: string;
	sessionId: string;
}

export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export const userRoom = (userId: string) => `user:${userId}`;
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;

/**
 * The chat node's edge: every socket proves itself with a single-use ticket, and joins the rooms of
 * its user (all their devices) and of its session (so a logout reaches exactly that session).
 */
export function attachChat(options: { io: ChatServer; tickets: Tickets; auth: AuthService; log: Logger }): void {
	const { io, tickets, auth, log } = options;

	io.use(async (socket, next) => {
		try {
			const ticket = (socket.handshake.auth as { ticket?: unknown } | undefined)?.ticket;
			const claims = typeof ticket === 'string' ? await tickets.redeem(ticket) : null;
			// A session that ended between ticket and connect gets nothing.
			if (!claims || !(await auth.sessionIsLive(claims.sessionId))) return next(new Error('unauthorized'));
			socket.data.userId = claims.userId;
			socket.data.sessionId = claims.sessionId;
			next();
		} catch (error) {
			log.error('handshake failed', error);
			next(new Error('unavailable'));
		}
	});

	io.on('connection', (socket) => {
		const { userId, sessionId } = socket.data;
		const slog = log.with({ user: userId, socket: socket.id });
		socket.join([userRoom(userId), sessionRoom(sessionId)]);
		slog.debug('connected');

		socket.on('session:whoami', (_payload, ack) => {
			if (typeof ack === 'function') ack({ ok: true, userId });
		});
		socket.on('disconnect', (reason) => slog.debug(`disconnected: ${reason}`));
	});
}

/** Tells the sockets of ended sessions why, then closes them (on every node, through the adapter). */
export function endSessions(io: ChatServer, sessionIds: string[], reason: SessionEndReason): void {
	for (const id of sessionIds) {
		io.to(sessionRoom(id)).emit('session:ended', { reason });
		// Emit goes out before the disconnect packet on the same connection, so the client reads the reason.
		io.in(sessionRoom(id)).disconnectSockets(true);
	}
}
