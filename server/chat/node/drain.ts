import type { Logger } from '../../logger.js';
import type { ChatServer } from './socket.js';

export interface DrainReport {
	/** Sockets connected when the drain began. */
	sockets: number;
	/** Of those, how many were still here when the wait ran out (they are cut off by `close`). */
	left: number;
	ms: number;
}

/**
 * Asks this node's clients to move (`server:draining`, to local sockets only: the other nodes are not
 * draining) and waits until they have gone or `timeoutMs` has passed. Clients spread their moves over
 * `withinMs`: 1 ms per socket, at least 250 ms, at most half the wait, so a node with many clients does
 * not send them all to the gateway in the same instant. The requests they have in flight are answered
 * as usual while they are still connected.
 */
export async function drainSockets(options: { io: ChatServer; timeoutMs: number; log: Logger }): Promise<DrainReport> {
	const { io, timeoutMs, log } = options;
	const started = Date.now();
	const sockets = io.of('/').sockets;
	const initial = sockets.size;
	if (initial > 0) {
		const withinMs = Math.round(Math.min(timeoutMs / 2, Math.max(250, initial)));
		log.info(`draining: asking ${initial} socket(s) to move within ${withinMs} ms; waiting up to ${timeoutMs} ms`);
		io.local.emit('server:draining', { withinMs });
		const deadline = started + timeoutMs;
		while (sockets.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, Math.min(50, Math.max(1, deadline - Date.now()))));
	}
	const report = { sockets: initial, left: sockets.size, ms: Date.now() - started };
	if (report.left > 0) log.warn(`draining: ${report.left} of ${initial} socket(s) still here after ${report.ms} ms; closing them`);
	else log.info(`draining: ${initial} socket(s) moved in ${report.ms} ms`);
	return report;
}
