import type { LiveInfo, LiveSource, LiveSummary, UserCard } from '../../../src/lib/protocol/index.js';
import type { Chat } from '../../chat/chat.types.js';
import * as threadsRepo from '../../chat/conversations/threads.repository.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { CallSignals } from '../calls/calls.service.js';
import type { HostOp, MediaLink } from '../cluster/link.js';
import type { MediaNodes } from '../cluster/media-nodes.js';
import type { Asker } from '../front/calls.front.js';
import type { LiveDirectory, LiveRecord } from './live.directory.js';
import type { LiveStartInput } from './live.service.js';

export interface LiveFrontOptions {
	/** This chat node's id. */
	self: string;
	chat: Chat;
	link: MediaLink;
	nodes: MediaNodes;
	directory: LiveDirectory;
	signals: Pick<CallSignals, 'toUsers'>;
	log: Logger;
}

/**
 * The chat node's side of live streams, as `CallsFront` is of calls: it checks who may go live in or
 * watch a thread, passes every request to the media node hosting the stream, remembers which streams
 * its sockets stream or watch (to tell the host when a socket drops), and watches those hosts: when one
 * dies, every member is told `media_lost` and the stream's line is written, once.
 */
export class LiveFront {
	/** Socket id → live id → the stream's host. */
	private readonly bySocket = new Map<string, Map<string, string>>();
	private watching: NodeJS.Timeout | null = null;
	private checking = false;

	constructor(private readonly options: LiveFrontOptions) {}

	async start(ask: Asker, input: { threadId: string; source: LiveSource }): Promise<{ live: LiveInfo }> {
		const { chat, directory } = this.options;
		// A member who may post there (a private thread with someone unfriended or blocked is read-only).
		await chat.messages.assertMayPost(ask.userId, input.threadId);
		const running = await directory.ofThread(input.threadId);
		if (running) throw new AppError('conflict', 'this thread has a live stream already; watch it', { fields: { liveId: running.live.liveId } });
		const request: LiveStartInput = { threadId: input.threadId, source: input.source, ...(await membersAndCard(chat, ask.userId, input.threadId)) };
		const host = await this.options.nodes.pick();
		if (!host) throw new AppError('not_implemented', 'live streams are unavailable on this server: no media node is running');
		return this.forward(ask, host, 'live:start', request as unknown as Record<string, unknown>);
	}

	async watch(ask: Asker, liveId: string): Promise<{ live: LiveInfo }> {
		const record = await this.record(liveId, ask.userId);
		return this.forward(ask, record.host, 'live:watch', { liveId });
	}

	async leave(ask: Asker, liveId: string, op: 'live:leave' | 'live:end'): Promise<Record<string, never>> {
		const record = await this.record(liveId, ask.userId);
		await this.forward(ask, record.host, op, { liveId });
		this.forget(ask.socket.id, liveId);
		return {};
	}

	/** The streams live now in every thread of `userId`. */
	async active(userId: string): Promise<{ streams: LiveInfo[] }> {
		const { chat, directory } = this.options;
		const rows = await chat.db.selectFrom('thread_members').select('thread_id').where('user_id', '=', userId).execute();
		const records = await Promise.all(rows.map((r) => directory.ofThread(r.thread_id)));
		return { streams: records.filter((r): r is LiveRecord => r !== null).map((r) => r.live) };
	}

	/** The host of a stream this socket is in, or of any stream (null: no such stream). */
	async hostOf(socketId: string, liveId: string): Promise<string | null> {
		return this.bySocket.get(socketId)?.get(liveId) ?? (await this.options.directory.get(liveId))?.host ?? null;
	}

	/** A socket of this node went away: the hosts of its streams drop it. */
	socketGone(socketId: string): void {
		const lives = this.bySocket.get(socketId);
		if (!lives) return;
		this.bySocket.delete(socketId);
		for (const host of new Set(lives.values())) {
			this.options.link.request(host, { op: 'socketGone', ctx: { userId: '', socketId, node: this.options.self }, input: { socketId } }).catch((error) => {
				if (!(error instanceof AppError && error.code === 'unavailable')) this.options.log.warn(`telling media node "${host}" of a dropped socket failed`, { error: String(error) });
			});
		}
	}

	watchHosts(intervalMs = 1000): void {
		this.watching ??= setInterval(() => void this.check(), intervalMs);
		this.watching.unref();
	}

	stop(): void {
		if (this.watching) clearInterval(this.watching);
		this.watching = null;
	}

	/** Ends the streams whose host died (`media_lost`), for every member. */
	async check(): Promise<void> {
		if (this.checking) return;
		this.checking = true;
		try {
			const hosts = new Set<string>();
			for (const lives of this.bySocket.values()) for (const host of lives.values()) if (host !== this.options.self) hosts.add(host);
			if (hosts.size === 0) return;
			const dead = await this.options.nodes.dead([...hosts]);
			if (dead.size === 0) return;
			const lost = new Set<string>();
			for (const [socketId, lives] of this.bySocket) {
				for (const [liveId, host] of lives) if (dead.has(host)) lost.add(liveId);
				for (const liveId of lost) lives.delete(liveId);
				if (lives.size === 0) this.bySocket.delete(socketId);
			}
			for (const liveId of lost) await this.lose(liveId).catch((error) => this.options.log.error(`ending lost live stream "${liveId}" failed`, error));
		} catch (error) {
			this.options.log.warn('checking the media nodes failed', { error: String(error) });
		} finally {
			this.checking = false;
		}
	}

	private async lose(liveId: string): Promise<void> {
		const { directory, chat, signals, log } = this.options;
		if (!(await directory.claimLost(liveId))) return;
		const record = await directory.get(liveId);
		if (!record) return;
		const summary: LiveSummary = { durationSec: Math.max(0, Math.round((Date.now() - Date.parse(record.live.startedAt)) / 1000)), peakViewers: record.peak };
		log.warn(`live stream "${liveId}" lost its media node "${record.host}"; it ends for everyone`);
		signals.toUsers(record.members, 'live:ended', { liveId, threadId: record.live.threadId, reason: 'media_lost', summary });
		await directory.remove(record.live);
		await chat.track(chat.messages.sendLive(record.live.streamerId, { threadId: record.live.threadId, liveId, summary }));
	}

	/** A stream in one of your threads (checked against its members now). */
	private async record(liveId: string, userId: string): Promise<LiveRecord> {
		const record = await this.options.directory.get(liveId);
		if (!record) throw notFound(liveId);
		await this.options.chat.threads.requireMember(record.live.threadId, userId).catch(() => {
			throw notFound(liveId);
		});
		return record;
	}

	private async forward<T>(ask: Asker, host: string, op: HostOp, input: Record<string, unknown>): Promise<T> {
		const result = (await this.options.link.request(host, { op, ctx: { userId: ask.userId, socketId: ask.socket.id, node: this.options.self }, input })) as T;
		const live = (result as { live?: LiveInfo }).live;
		if (live && live.state !== 'ended') {
			let lives = this.bySocket.get(ask.socket.id);
			if (!lives) this.bySocket.set(ask.socket.id, (lives = new Map()));
			lives.set(live.liveId, host);
		}
		return result;
	}

	private forget(socketId: string, liveId: string): void {
		const lives = this.bySocket.get(socketId);
		lives?.delete(liveId);
		if (lives?.size === 0) this.bySocket.delete(socketId);
	}
}

/** The thread's members, and `userId`'s card as another member sees it (for `live:started`). */
export async function membersAndCard(chat: Chat, userId: string, threadId: string): Promise<{ members: string[]; streamer: UserCard }> {
	const members = await threadsRepo.memberIdsOf(chat.db, threadId);
	const viewer = members.find((id) => id !== userId) ?? userId;
	const streamer = (await chat.users.cardsById(viewer, [userId])).get(userId) as UserCard;
	return { members, streamer };
}

function notFound(liveId: string): AppError {
	return new AppError('not_found', `live stream "${liveId}" not found`);
}
