import type { Friend, FriendRequest, Thread, UserCard } from '$lib/protocol';
import { withProfile } from './cards';
import type { ChatConnection } from './connection';
import type { Presence } from './presence.svelte';

/**
 * The user's friends and the friend requests open in either direction, and looking people up. The
 * components use it as `ChatClient.people`; `load` and the methods named after live events are
 * ChatClient's to call (after a connection, and as the events arrive).
 */
export class Friends {
	friends = $state<Friend[]>([]);
	incoming = $state<FriendRequest[]>([]);
	outgoing = $state<FriendRequest[]>([]);
	loaded = $state(false);

	readonly #me: string;
	readonly #conn: ChatConnection;
	readonly #presence: Presence;
	readonly #putThread: (thread: Thread) => void;

	/**
	 * @param options.me the signed-in user's id (tells incoming requests from outgoing ones).
	 * @param options.presence takes each friend's online state from the lists.
	 * @param options.putThread takes the private thread that comes with a new friend.
	 */
	constructor(options: { me: string; conn: ChatConnection; presence: Presence; putThread: (thread: Thread) => void }) {
		this.#me = options.me;
		this.#conn = options.conn;
		this.#presence = options.presence;
		this.#putThread = options.putThread;
	}

	/** Cards by id, in the order asked (your own id gives your card with your bio). */
	async users(userIds: string[]): Promise<UserCard[]> {
		return (await this.#conn.request('users:get', { userIds })).users;
	}

	async search(query: string): Promise<UserCard[]> {
		return (await this.#conn.request('users:search', { query, limit: 20 })).users;
	}

	async request(userId: string, message?: string): Promise<void> {
		const res = await this.#conn.request('friends:request', message ? { userId, message } : { userId });
		if (res.friend && res.thread) this.add(res.friend, res.thread);
		else this.putRequest(res.request);
	}

	async respond(requestId: string, accept: boolean): Promise<Thread | undefined> {
		const res = await this.#conn.request('friends:respond', { requestId, accept });
		this.incoming = this.incoming.filter((r) => r.id !== requestId);
		if (res.friend && res.thread) this.add(res.friend, res.thread);
		return res.thread;
	}

	async cancel(requestId: string): Promise<void> {
		await this.#conn.request('friends:cancel', { requestId });
		this.outgoing = this.outgoing.filter((r) => r.id !== requestId);
	}

	/** Replaces the lists with the server's (after every (re)connection). */
	async load(): Promise<void> {
		const { friends, incoming, outgoing } = await this.#conn.request('friends:list', {});
		this.friends = friends;
		this.incoming = incoming;
		this.outgoing = outgoing;
		for (const f of friends) this.#presence.online[f.user.id] = f.online;
		this.loaded = true;
	}

	/** `friends:requested`, or the answer to one's own request. */
	putRequest(request: FriendRequest): void {
		if (request.status !== 'pending') return;
		if (request.to.id === this.#me) {
			if (!this.incoming.some((r) => r.id === request.id)) this.incoming = [request, ...this.incoming];
		} else if (!this.outgoing.some((r) => r.id === request.id)) this.outgoing = [request, ...this.outgoing];
	}

	/** `friends:added`, or an accepted request: the friend, and the private thread with them. */
	add(friend: Friend, thread: Thread): void {
		this.friends = [...this.friends.filter((f) => f.user.id !== friend.user.id), friend];
		this.incoming = this.incoming.filter((r) => r.from.id !== friend.user.id);
		this.outgoing = this.outgoing.filter((r) => r.to.id !== friend.user.id);
		this.#presence.online[friend.user.id] = friend.online;
		this.#putThread(thread);
	}

	/** `friends:closed`: the request was answered or cancelled (possibly on another device). */
	closed(requestId: string): void {
		this.incoming = this.incoming.filter((r) => r.id !== requestId);
		this.outgoing = this.outgoing.filter((r) => r.id !== requestId);
	}

	/** `user:updated`: shows the new profile wherever the user appears here. */
	updateUser(user: UserCard): void {
		this.friends = this.friends.map((f) => (f.user.id === user.id ? { ...f, user: withProfile(f.user, user) } : f));
		this.incoming = this.incoming.map((r) => ({ ...r, from: withProfile(r.from, user) }));
		this.outgoing = this.outgoing.map((r) => ({ ...r, to: withProfile(r.to, user) }));
	}
}
