import type { emptyRequest } from '../../../src/lib/protocol/index.js';
import type { Logger } from '../../logger.js';
import type { Chat, Handler } from '../chat.types.js';
import { groupPeersOf } from '../conversations/threads.repository.js';
import { friendIdsOf } from '../friends/friends.repository.js';
import type { ChatSocket } from '../node/socket.js';

/**
 * Counts the socket in the presence store; a user's first socket tells their friends they are
 * online. Returns the count's promise, which `untrackPresence` waits for on disconnect.
 */
export function trackPresence(socket: ChatSocket, chat: Chat, log: Logger): Promise<unknown> {
	const { userId } = socket.data;
	return chat.track(
		chat.presence
			.add(userId, socket.id)
			.then((first) => (first ? announce(chat, userId) : undefined))
			.catch((error) => log.error('presence: counting a connection failed', error))
	);
}

/** On disconnect: forgets the socket; a user's last socket tells their friends they are offline. */
export function untrackPresence(socket: ChatSocket, added: Promise<unknown>, chat: Chat, log: Logger): void {
	const { userId } = socket.data;
	// After the add settled, so a quick connect-disconnect cannot leave a phantom connection.
	void chat.track(
		added
			.then(() => chat.presence.remove(userId, socket.id))
			.then((last) => (last ? announce(chat, userId) : undefined))
			.catch((error) => log.error('presence: forgetting a connection failed', error))
	);
}

/**
 * Tells the people who share a conversation with the user (friends, and the members of their groups)
 * whether the user is online. Sends the state as it is when they are known, not as it was when asked:
 * of a quick online-offline pair, the last event is always right.
 */
export async function announce(chat: Chat, userId: string): Promise<void> {
	const [friendIds, peers] = await Promise.all([friendIdsOf(chat.db, userId), groupPeersOf(chat.db, userId)]);
	const online = (await chat.presence.onlineAmong([userId])).has(userId);
	chat.emitter.toUsers([...new Set([...friendIds, ...peers])], 'presence', { userId, online });
}

/** `session:whoami`: the socket's user. */
export const whoami: Handler<typeof emptyRequest, { userId: string }> = async (ctx) => ({ userId: ctx.userId });
