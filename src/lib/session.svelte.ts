import { api, ApiError } from '$lib/api';
import type { ChatEndpoint, LoginRequest, LoginResponse, User, UserResponse } from '$lib/protocol';

/**
 * Who is signed in, shared by every page. The session itself lives in an HttpOnly cookie set by the
 * server; this only mirrors the user it belongs to.
 */
class Session {
	/** The signed-in user; null when signed out or not loaded yet. */
	user = $state<User | null>(null);
	/** True once `load()` has answered at least once. */
	loaded = $state(false);
	#pending: Promise<User | null> | null = null;

	/** Asks the server who the cookie belongs to (once; `force` asks again). */
	load(options: { force?: boolean } = {}): Promise<User | null> {
		if (this.loaded && !options.force) return Promise.resolve(this.user);
		this.#pending ??= api
			.get<UserResponse>('/api/me')
			.then(
				({ user }) => user,
				(error) => {
					if (error instanceof ApiError && error.code === 'unauthorized') return null;
					throw error;
				}
			)
			.then((user) => {
				this.user = user;
				this.loaded = true;
				return user;
			})
			.finally(() => (this.#pending = null));
		return this.#pending;
	}

	/** The chat node and ticket the last sign-in returned, until the chat client takes them. */
	#chat: { endpoint: ChatEndpoint; at: number } | null = null;

	/** Signs in with a username or email; the server sets the session cookie. */
	async signIn(input: LoginRequest): Promise<LoginResponse> {
		const response = await api.post<LoginResponse>('/api/auth/login', input);
		this.user = response.user;
		this.loaded = true;
		this.#chat = { endpoint: response.chat, at: Date.now() };
		return response;
	}

	/**
	 * The sign-in's chat ticket, once, while it is fresh. Using it (rather than asking for another)
	 * matters in a cluster: the balancer counts the ticket against the node it names.
	 */
	takeChatEndpoint(): ChatEndpoint | undefined {
		const chat = this.#chat;
		this.#chat = null;
		return chat && Date.now() - chat.at < 45_000 ? chat.endpoint : undefined;
	}

	/** Ends the session on the server. A session that had already ended counts as signed out. */
	async signOut(): Promise<void> {
		try {
			await api.post('/api/auth/logout');
		} catch (error) {
			if (!(error instanceof ApiError && error.code === 'unauthorized')) throw error;
		}
		this.user = null;
		this.loaded = true;
	}
}

export const session = new Session();
