import { expect, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { io, type Socket } from 'socket.io-client';
import type { Ack, ClientToServerEvents, LoginResponse, ServerToClientEvents, Thread, User } from '../../src/lib/protocol/index.js';
import { uniqueName, type Account } from './fixtures.js';

type BotSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type AckOf<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[1] extends ((r: infer A) => void) | undefined ? Extract<A, { ok: true }> : never;

/**
 * A user driven straight through the protocol from the test process (no browser): sets the stage
 * fast (friendships, hundreds of messages) so the browser tests spend their time on what the UI does.
 */
export interface Bot {
	user: User;
	socket: BotSocket;
	request<E extends keyof ClientToServerEvents>(event: E, payload: Parameters<ClientToServerEvents[E]>[0]): Promise<AckOf<E>>;
	close(): void;
}

/** Signs in as `account` over HTTP and connects its chat socket (no reconnection: a test closes it). */
export async function connectBot(baseURL: string, account: Pick<Account, 'username' | 'password'>): Promise<Bot> {
	const res = await fetch(`${baseURL}/api/auth/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ login: account.username, password: account.password })
	});
	expect(res.status, await res.clone().text()).toBe(200);
	const login = (await res.json()) as LoginResponse;
	const socket: BotSocket = io(login.chat.url, { auth: { ticket: login.chat.ticket }, transports: ['websocket'], reconnection: false, forceNew: true });
	await new Promise<void>((resolve, reject) => {
		socket.once('connect', () => resolve());
		socket.once('connect_error', reject);
	});
	return {
		user: login.user,
		socket,
		async request(event, payload) {
			const ack = (await (socket.timeout(10_000) as unknown as { emitWithAck(e: string, p: unknown): Promise<Ack<object>> }).emitWithAck(event, payload)) as Ack<object>;
			if (!ack.ok) throw new Error(`${event} refused: ${ack.error.code}: ${ack.error.message}`);
			return ack as never;
		},
		close: () => socket.disconnect()
	};
}

/** Makes two bots friends; resolves to their private thread. */
export async function befriend(a: Bot, b: Bot): Promise<Thread> {
	const { request } = await a.request('friends:request', { userId: b.user.id });
	const { thread } = await b.request('friends:respond', { requestId: request.id, accept: true });
	if (!thread) throw new Error('accepting the request gave no thread');
	return thread;
}

/** The test's fixtures the set-ups below need (pass the test's own: `twoFriends({ parley, signUp }, …)`). */
export interface Stage {
	parley: { baseURL: string };
	signUp: (overrides?: Partial<Account>) => Promise<Account>;
}

/** Two people made friends through the protocol; `a` and `b` are their bots, still connected. */
export interface TwoFriends {
	alice: Account;
	bob: Account;
	a: Bot;
	b: Bot;
	thread: Thread;
}

/**
 * Signs up two people (usernames `alice…` and `bob…`, display names `names`) and makes them friends
 * through the protocol: where most two-person tests start. The bots stay connected to set the stage
 * further (messages, a call); the test closes them, or `friendsOnPages` does.
 */
export async function twoFriends({ parley, signUp }: Stage, names: readonly [string, string]): Promise<TwoFriends> {
	const [alice, bob] = await Promise.all([signUp({ username: uniqueName('alice'), displayName: names[0] }), signUp({ username: uniqueName('bob'), displayName: names[1] })]);
	const [a, b] = await Promise.all([connectBot(parley.baseURL, alice), connectBot(parley.baseURL, bob)]);
	return { alice, bob, a, b, thread: await befriend(a, b) };
}

/** A browser context signed in, and its page. */
export interface SignedIn {
	context: BrowserContext;
	page: Page;
}

/**
 * `twoFriends` with the bots closed, then each signed in on a page of their own (`A` for alice, `B`
 * for bob; `viewport` for both, default 1280 × 800). The test closes the contexts.
 */
export async function friendsOnPages(
	stage: Stage & { browser: Browser },
	names: readonly [string, string],
	options: { viewport?: { width: number; height: number } } = {}
): Promise<Omit<TwoFriends, 'a' | 'b'> & { A: SignedIn; B: SignedIn }> {
	const { alice, bob, a, b, thread } = await twoFriends(stage, names);
	a.close();
	b.close();
	const A = await signedInPage(stage.browser, stage.parley.baseURL, alice, options);
	const B = await signedInPage(stage.browser, stage.parley.baseURL, bob, options);
	return { alice, bob, thread, A, B };
}

/**
 * Sends `texts` into a thread in order, resending on `rate_limited` (the server allows 30 new
 * messages per user per 10 s), with the same clientId, as the real client does.
 */
export async function sendAll(bot: Bot, threadId: string, texts: string[]): Promise<void> {
	for (const text of texts) {
		const clientId = crypto.randomUUID();
		for (;;) {
			try {
				await bot.request('messages:send', { threadId, clientId, text });
				break;
			} catch (error) {
				if (!String(error).includes('rate_limited')) throw error;
				await new Promise((resolve) => setTimeout(resolve, 500));
			}
		}
	}
}

/** A fresh browser context signed in as `account` through the login page. */
export async function signedInPage(browser: Browser, baseURL: string, account: Account, options: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark' } = {}): Promise<SignedIn> {
	const context = await browser.newContext({ baseURL, viewport: options.viewport ?? { width: 1280, height: 800 }, colorScheme: options.colorScheme ?? 'light' });
	const page = await context.newPage();
	await page.goto('/login');
	await page.getByLabel('Username or email', { exact: true }).fill(account.username);
	await page.getByLabel('Password', { exact: true }).fill(account.password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page).toHaveURL(/\/app$/);
	return { context, page };
}

/** Where the first message on screen was, by its `data-seq` and its top in viewport pixels. */
export interface MessageMark {
	seq: string;
	y: number;
}

/**
 * Scrolls a thread's message list (`list`, the element that scrolls) to its top, which asks for the
 * next older page, and says where the first message on screen was painted: measured after that
 * frame's layout and the list's own resize handling (an observer made later runs later), and before
 * the older page can arrive (no task runs between the scroll event and the end of that frame). Compare
 * with the same message once the page is in to see whether the view moved. Null if no message shows.
 */
export async function scrollToTopAndMark(list: Locator): Promise<MessageMark | null> {
	return list.evaluate(async (el) => {
		el.scrollTop = 0;
		await new Promise<void>((resolve) =>
			requestAnimationFrame(() => {
				const observer = new ResizeObserver(() => {
					observer.disconnect();
					resolve();
				});
				observer.observe(el);
			})
		);
		const viewTop = el.getBoundingClientRect().top;
		const first = [...el.querySelectorAll<HTMLElement>('[data-testid="message"]')].find((m) => m.getBoundingClientRect().bottom > viewTop + 1);
		return first ? { seq: first.dataset.seq!, y: first.getBoundingClientRect().top } : null;
	});
}
