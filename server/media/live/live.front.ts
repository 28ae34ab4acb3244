import type { LiveInfo, LiveSource, LiveSummary, UserCard } from '../../../src/lib/protocol/index.js';
import type { Chat } from '../../chat/chat.types.js';
import * as threadsRepo from '../../chat/conversations/threads.repository.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { CallSignals } from '../calls/calls.service.js';
import type { HostOp, MediaLink } from '../cluster/link.js';
import type { MediaNodes } from '../cluster/media-nodes.js';
import type { Asker } from '../front/calls.front.js';
import { Hosted } from '../front/hosted.js';
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
	private readonly hosted: Hosted;
	/** Socket id → live id → the media node serving its viewer's media when that is not the host (a relay). */
	private readonly relayed = new Map<string, Map<string, string>>();

	constructor(private readonly options: LiveFrontOptions) {
		this.hosted = new Hosted({ self: options.self, link: options.link, nodes: options.nodes, log: options.log, noun: 'live stream', lost: (liveId) => this.lose(liveId) });
	}

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
		// The host may serve this viewer from another media node: their `media:*` go there.
		const { live, mediaNode } = await this.forward<{ live: LiveInfo; mediaNode?: string }>(ask, record.host, 'live:watch', { liveId });
		this.forgetRelay(ask.socket.id, liveId);
		if (mediaNode && mediaNode !== record.host) {
			let ids = this.relayed.get(ask.socket.id);
			if (!ids) this.relayed.set(ask.socket.id, (ids = new Map()));
			ids.set(liveId, mediaNode);
		}
		return { live };
	}

	async leave(ask: Asker, liveId: string, op: 'live:leave' | 'live:end'): Promise<Record<string, never>> {
		const record = await this.record(liveId, ask.userId);
		await this.forward(ask, record.host, op, { liveId });
		this.hosted.forget(ask.socket.id, liveId);
		this.forgetRelay(ask.socket.id, liveId);
		return {};
	}

	/** The streams live now in every thread of `userId`. */
	async active(userId: string): Promise<{ streams: LiveInfo[] }> {
		const { chat, directory } = this.options;
		const rows = await chat.db.selectFrom('thread_members').select('thread_id').where('user_id', '=', userId).execute();
		const records = await Promise.all(rows.map((r) => directory.ofThread(r.thread_id)));
		return { streams: records.filter((r): r is LiveRecord => r !== null).map((r) => r.live) };
	}

	/**
	 * Where the media of a stream this socket is in are (its relay's node, else its host), or the host
	 * of any stream (null: no such stream).
	 */
	async hostOf(socketId: string, liveId: string): Promise<string | null> {
		return this.relayed.get(socketId)?.get(liveId) ?? this.hosted.hostOf(socketId, liveId) ?? (await this.options.directory.get(liveId))?.host ?? null;
	}

	/** A socket of this node went away: the hosts of its streams drop it (and tell its relays). */
	socketGone(socketId: string): void {
		this.relayed.delete(socketId);
		this.hosted.socketGone(socketId);
	}

	watchHosts(intervalMs = 1000): void {
		this.hosted.watch(intervalMs);
	}

	stop(): void {
		this.hosted.stop();
	}

	/** Ends the streams whose host died (`media_lost`), for every member. */
	check(): Promise<void> {
		return this.hosted.check();
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

	private forgetRelay(socketId: string, liveId: string): void {
		const ids = this.relayed.get(socketId);
		ids?.delete(liveId);
		if (ids?.size === 0) this.relayed.delete(socketId);
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
		// A media node of an older version (a rolling upgrade) answers nothing to what it does not know.
		if (result === null || result === undefined) throw new AppError('not_implemented', `media node "${host}" does not carry live streams (an older version); try again later`);
		const live = (result as { live?: LiveInfo }).live;
		if (live && live.state !== 'ended') this.hosted.add(ask.socket.id, live.liveId, host);
		return result;
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
