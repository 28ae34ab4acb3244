import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import webpush from 'web-push';
import type { Message, PushPayload, Thread } from '../../src/lib/protocol/index.js';
import { notificationText } from '../../src/lib/notify/preview.js';
import { blockersOf } from '../chat/blocks/blocks.repository.js';
import type { Database } from '../db/schema.js';
import { nowIso } from '../db/ids.js';
import { AppError, invalidInput } from '../errors.js';
import type { Logger } from '../logger.js';
import * as repo from './push.repository.js';
import type { VapidKeys } from './vapid.js';

export interface PushDeps {
	db: Kysely<Database>;
	keys: VapidKeys;
	/** VAPID `sub`: a mailto: or https: URL the push services may contact. */
	subject: string;
	/** Of these users, those with a socket anywhere in the cluster (the presence store). */
	onlineAmong(userIds: readonly string[]): Promise<Set<string>>;
	/**
	 * Of these (online) users, those with a socket whose page is visible. Absent (a process without
	 * sockets): every online user counts as looking.
	 */
	visibleAmong?(userIds: readonly string[]): Promise<Set<string>>;
	/** The thread as `userId` sees it (for the sender's name and the group's title). */
	threadFor(userId: string, threadId: string): Promise<Thread>;
	log: Logger;
	/** Pushes sent at once, at most. Default 8. */
	concurrency?: number;
	/** Seconds a push service keeps an undelivered push. Default 24 h. */
	ttlSeconds?: number;
	/** Lets subscriptions name http: endpoints (tests' loopback push service). Default false: https only. */
	allowHttp?: boolean;
	/** A push's whole request, at most. Default 10 s. */
	timeoutMs?: number;
}

/** `topic` of a thread's pushes: a push service keeps only the newest per topic (one per thread). */
export const topicOf = (threadId: string) => createHash('sha256').update(threadId).digest('base64url').slice(0, 32);

/**
 * Web Push (RFC 8030, 8291, 8292) with no gateway of ours: the server talks to each browser's push
 * service itself. On a stored message, each member other than the sender who has subscriptions, has not
 * muted the thread nor blocked the sender, and has no visible page open gets one push per device.
 */
export class PushService {
	readonly #deps: PushDeps;
	readonly #queue: Array<() => Promise<void>> = [];
	readonly #idle = new Set<() => void>();
	/** Messages stored whose recipients' subscriptions are not looked up yet (`#decide`). */
	readonly #stored: Array<{ message: Message; others: string[] }> = [];
	#running = 0;

	constructor(deps: PushDeps) {
		this.#deps = deps;
	}

	get publicKey(): string {
		return this.#deps.keys.publicKey;
	}

	async subscribe(userId: string, input: { endpoint: string; keys: { p256dh: string; auth: string }; label: string; hidePreviews?: boolean }): Promise<void> {
		if (!this.#deps.allowHttp && !input.endpoint.startsWith('https://')) throw invalidInput({ endpoint: 'must be an https: URL' }, 'endpoint: push services are reached over https');
		await repo.upsertSubscription(this.#deps.db, { userId, endpoint: input.endpoint, p256dh: input.keys.p256dh, auth: input.keys.auth, label: input.label, hidePreviews: input.hidePreviews ?? false });
	}

	async unsubscribe(userId: string, endpoint: string): Promise<void> {
		if (!(await repo.deleteSubscription(this.#deps.db, userId, endpoint))) throw new AppError('not_found', 'no push subscription of yours has this endpoint');
	}

	/**
	 * A message was stored and sent to `memberIds`: decides and queues its pushes. Never throws and
	 * never waits for a push service: called after the commit, off the sender's ack.
	 */
	messageStored(message: Message, memberIds: readonly string[]): void {
		if (message.kind === 'system') return;
		const others = memberIds.filter((id) => id !== message.senderId);
		if (others.length === 0) return;
		this.#stored.push({ message, others });
		if (this.#stored.length === 1) this.#enqueue(() => this.#decide());
	}

	/** Resolves once nothing is queued or sending (tests; a draining node). */
	idle(): Promise<void> {
		if (this.#running === 0 && this.#queue.length === 0) return Promise.resolve();
		return new Promise((resolve) => this.#idle.add(resolve));
	}

	/**
	 * The subscriptions of the recipients of every message stored since the last look, in one query
	 * (issue 15: one per message was 2 % of the send path's CPU, with its query building more, and
	 * most recipients have none); then each message with subscribed recipients goes on alone. Waits a
	 * turn first, so that the messages of one commit (commit-batch.ts), settled together, come together.
	 */
	async #decide(): Promise<void> {
		await new Promise((resolve) => setImmediate(resolve));
		const stored = this.#stored.splice(0);
		const subscriptions = await repo.subscriptionsOf(this.#deps.db, [...new Set(stored.flatMap((s) => s.others))]);
		if (subscriptions.length === 0) return;
		const byUser = new Map<string, repo.SubscriptionRow[]>();
		for (const s of subscriptions) byUser.set(s.user_id, [...(byUser.get(s.user_id) ?? []), s]);
		for (const { message, others } of stored) {
			const theirs = others.flatMap((id) => byUser.get(id) ?? []);
			if (theirs.length > 0) this.#enqueue(() => this.#fanOut(message, theirs));
		}
	}

	/** `message`'s pushes, given its recipients' `subscriptions` (not empty). */
	async #fanOut(message: Message, subscriptions: repo.SubscriptionRow[]): Promise<void> {
		const { db } = this.#deps;
		let users = [...new Set(subscriptions.map((s) => s.user_id))];
		// Nobody is pushed a group message from someone they blocked (in a private thread it is refused).
		const [muted, blockers] = await Promise.all([repo.mutedAmong(db, message.threadId, users, nowIso()), blockersOf(db, message.senderId, users)]);
		users = users.filter((id) => !muted.has(id) && !blockers.has(id));
		const online = await this.#deps.onlineAmong(users);
		const looking = online.size === 0 ? new Set<string>() : this.#deps.visibleAmong ? await this.#deps.visibleAmong([...online]) : online;
		const targets = new Set(users.filter((id) => !looking.has(id)));
		this.#deps.log.debug(`message "${message.id}": subscribed ${users.length}, muted ${muted.size}, blocking ${blockers.size}, online ${online.size}, looking ${looking.size}, pushed to ${targets.size}`);
		for (const s of subscriptions) {
			if (!targets.has(s.user_id)) continue;
			this.#enqueue(() => this.#send(s, message));
		}
	}

	async #send(s: repo.SubscriptionRow, message: Message): Promise<void> {
		const { log } = this.#deps;
		const thread = await this.#deps.threadFor(s.user_id, message.threadId);
		const text = notificationText(message, thread, { hidePreviews: !!s.hide_previews });
		const payload: PushPayload = { threadId: message.threadId, title: text.title, body: text.body };
		const details = webpush.generateRequestDetails({ endpoint: s.endpoint, keys: { p256dh: s.p256dh, auth: s.auth } }, JSON.stringify(payload), {
			vapidDetails: { subject: this.#deps.subject, publicKey: this.#deps.keys.publicKey, privateKey: this.#deps.keys.privateKey },
			TTL: this.#deps.ttlSeconds ?? 86_400,
			urgency: 'normal',
			topic: topicOf(message.threadId)
		});
		// Sent with fetch rather than web-push's own https.request, so a test's loopback service may be
		// plain http (`allowHttp`); the request (headers, encrypted body) is web-push's.
		const res = await fetch(details.endpoint, {
			method: details.method,
			headers: details.headers as Record<string, string>,
			body: details.body as Uint8Array<ArrayBuffer>,
			redirect: 'error',
			signal: AbortSignal.timeout(this.#deps.timeoutMs ?? 10_000)
		});
		await res.body?.cancel();
		if (res.status === 404 || res.status === 410) {
			await repo.deleteById(this.#deps.db, s.id);
			log.info(`push subscription "${s.id}" of user "${s.user_id}" is gone (${res.status}): removed`);
		} else if (!res.ok) {
			log.warn(`push to subscription "${s.id}" of user "${s.user_id}" refused: ${res.status} ${res.statusText}`);
		}
	}

	/** Runs `work` when fewer than `concurrency` are running; errors are logged, never thrown. */
	#enqueue(work: () => Promise<void>): void {
		this.#queue.push(work);
		this.#pump();
	}

	#pump(): void {
		const limit = this.#deps.concurrency ?? 8;
		while (this.#running < limit && this.#queue.length > 0) {
			const work = this.#queue.shift()!;
			this.#running++;
			work()
				.catch((error) => this.#deps.log.warn('a push failed', error))
				.finally(() => {
					this.#running--;
					this.#pump();
					if (this.#running === 0 && this.#queue.length === 0) for (const done of this.#idle) (this.#idle.delete(done), done());
				});
		}
	}
}
