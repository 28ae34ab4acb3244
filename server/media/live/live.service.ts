import type { LiveEndReason, LiveInfo, LiveSource, UserCard } from '../../../src/lib/protocol/index.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { CallMedia } from '../call-media.js';
import type { CallContext, CallSignals } from '../calls/calls.service.js';
import { Live, type Seat } from './live.js';
import type { LiveDirectory } from './live.directory.js';

/** A stream to start, as the chat node (or the RTMP ingest) found its thread. */
export interface LiveStartInput {
	threadId: string;
	source: LiveSource;
	/** The thread's members (the streamer among them). */
	members: string[];
	/** The streamer as the members see them (for `live:started`). */
	streamer: UserCard;
}

export interface LiveDeps {
	hostId: string;
	signals: CallSignals;
	directory: LiveDirectory;
	/** Makes a stream's media (a router on a worker); null when this node cannot carry media. */
	media: ((live: Live) => Promise<CallMedia>) | null;
	unavailableReason?: string;
	/** The thread's members now (who may watch and is told); without it, those when the stream started. */
	members?: (threadId: string) => Promise<string[]>;
	/** Writes the stream's line in its thread (a message of kind `live`). */
	record(live: Live): Promise<void>;
	/** Serves viewers from other media nodes past this one's room (relay/); without it, all watch here. */
	relays?: Relaying;
	/** How long an RTMP stream whose publisher dropped waits for it to come back. Default 10 s. */
	graceMs?: number;
	now?: () => number;
	log: Logger;
}

/** What `LiveService` asks of `RelaySources` (relay/relay.source.ts). */
export interface Relaying {
	/** The media node that serves a new viewer (this one's id, or a relay's that was told of them). */
	place(live: Live, media: CallMedia, userId: string, seat: Seat): Promise<string>;
	/** The relay node serving a viewer; undefined when this node does. */
	servedBy(liveId: string, userId: string): string | undefined;
	leave(liveId: string, userId: string): void;
	end(liveId: string): void;
}

/**
 * The live streams a media node hosts. The streamer produces on the stream's router (from a socket, or
 * the RTMP ingest); viewers consume. Every end closes the router, tells every member, forgets the
 * stream in the directory and writes its line once.
 */
export class LiveService {
	private readonly lives = new Map<string, Live>();
	private readonly pending = new Set<Promise<void>>();
	private readonly now: () => number;
	private closed = false;

	constructor(private readonly deps: LiveDeps) {
		this.now = deps.now ?? Date.now;
	}

	get size(): number {
		return this.lives.size;
	}

	has(liveId: string): boolean {
		return this.lives.has(liveId);
	}

	/** Viewers of every stream hosted here, wherever they are served. */
	viewers(): number {
		let n = 0;
		for (const live of this.lives.values()) n += live.viewers.size;
		return n;
	}

	/** The media node serving `userId`'s watching of `liveId`, when it is not this one. */
	servedBy(liveId: string, userId: string): string | undefined {
		return this.deps.relays?.servedBy(liveId, userId);
	}

	/** Starts a stream; `ctx` null: an RTMP stream (no socket). */
	async start(ctx: CallContext | null, streamerId: string, input: LiveStartInput): Promise<Live> {
		if (!this.deps.media || this.closed) throw new AppError('not_implemented', `live streams are unavailable on this server: ${this.closed ? 'it is stopping' : (this.deps.unavailableReason ?? 'no media role')}`);
		const seat: Seat | null = ctx ? { socketId: ctx.socketId, node: ctx.node } : null;
		const live = new Live({ threadId: input.threadId, streamerId, source: input.source, members: input.members, seat, now: this.now() });
		const running = await this.deps.directory.claimThread(input.threadId, live.id);
		if (running) throw new AppError('conflict', 'this thread has a live stream already; watch it', { fields: { liveId: running } });
		const other = await this.deps.directory.claimUser(streamerId, live.id);
		if (other) {
			await this.deps.directory.remove(live.info());
			throw new AppError('conflict', 'you are streaming already; end that stream first', { fields: { liveId: other } });
		}
		this.lives.set(live.id, live);
		await this.publish(live);
		live.media = this.deps.media(live);
		live.media.then(
			(media) => media.join(streamerId),
			(error) => {
				this.deps.log.with({ live: live.id }).error("making the stream's media failed", error);
				this.end(live, 'media_failed');
			}
		);
		this.deps.log.with({ live: live.id }).info(`user "${streamerId}" goes live in thread "${input.threadId}" (${input.source})`);
		this.deps.signals.toUsers([...live.members], 'live:started', { live: live.info(), streamer: input.streamer });
		return live;
	}

	async watch(ctx: CallContext, liveId: string): Promise<LiveInfo> {
		const known = this.lives.get(liveId);
		// Someone who joined the thread since the stream started (the chat node checked them just now).
		if (known && !known.members.has(ctx.userId)) await this.audience(known, 0);
		const live = this.find(liveId, ctx.userId);
		if (ctx.userId === live.streamerId) throw new AppError('invalid_input', 'you are the streamer of this stream', { fields: { liveId: 'is your own stream' } });
		const media = await this.mediaReady(live);
		const current = live.viewers.get(ctx.userId);
		if (current?.socketId === ctx.socketId) return live.info();
		if (current) this.unserve(live, media, ctx.userId);
		const seat: Seat = { socketId: ctx.socketId, node: ctx.node };
		const node = this.deps.relays ? await this.deps.relays.place(live, media, ctx.userId, seat) : this.deps.hostId;
		live.watch(ctx.userId, seat);
		if (node === this.deps.hostId) media.join(ctx.userId);
		await this.changed(live, !current);
		return live.info();
	}

	/** A viewer stops watching (idempotent); the streamer leaving ends the stream. */
	async leave(ctx: CallContext, liveId: string): Promise<void> {
		const live = this.find(liveId, ctx.userId);
		if (ctx.userId === live.streamerId) return this.end(live, 'ended');
		await this.drop(live, ctx.userId);
	}

	async endBy(ctx: CallContext, liveId: string): Promise<void> {
		const live = this.find(liveId, ctx.userId);
		if (ctx.userId !== live.streamerId) throw new AppError('forbidden', 'only the streamer can end this stream');
		this.end(live, 'ended');
	}

	/**
	 * The media of a stream, for its streamer or a viewer on the socket they stream or watch on. A
	 * viewer may not send (`sends`: producing, or a send transport).
	 */
	async mediaOf(ctx: CallContext, liveId: string, sends: boolean): Promise<CallMedia> {
		const live = this.find(liveId, ctx.userId);
		const socket = live.socketOf(ctx.userId);
		if (ctx.userId !== live.streamerId) {
			if (sends) throw new AppError('forbidden', 'viewers of a live stream do not send media');
			if (socket === null) throw new AppError('conflict', `watch stream "${liveId}" first (live:watch)`);
		} else if (socket === null) throw new AppError('conflict', 'this stream comes from RTMP; its media is the ingest\'s');
		if (socket !== ctx.socketId) throw new AppError('conflict', `stream "${liveId}" is on your other device`);
		return this.mediaReady(live);
	}

	/** The live stream of `userId` in `threadId` waiting for its RTMP publisher, if any. */
	reconnecting(userId: string, threadId: string): Live | undefined {
		return [...this.lives.values()].find((l) => l.streamerId === userId && l.threadId === threadId && l.source === 'rtmp' && l.state === 'reconnecting');
	}

	/** An RTMP publisher dropped: the stream waits `graceMs` for it, then ends (`streamer_left`). */
	suspend(live: Live): void {
		if (live.state !== 'live') return;
		live.state = 'reconnecting';
		live.grace = setTimeout(() => this.end(live, 'streamer_left'), this.deps.graceMs ?? 10_000);
		void this.changed(live, true);
	}

	/** The RTMP publisher came back within the grace. */
	resume(live: Live): void {
		if (live.state !== 'reconnecting') return;
		if (live.grace) clearTimeout(live.grace);
		live.grace = null;
		live.state = 'live';
		void this.changed(live, true);
	}

	/** A socket went away: a stream it streams ends; a stream it watches loses a viewer. */
	socketGone(socketId: string): void {
		for (const live of this.lives.values()) {
			if (live.seat?.socketId === socketId) this.end(live, 'streamer_left');
			else for (const [userId, seat] of live.viewers) if (seat.socketId === socketId) void this.drop(live, userId);
		}
	}

	/** The chat nodes streamers and viewers are on (watched for death). */
	seatNodes(): Set<string> {
		const nodes = new Set<string>();
		for (const live of this.lives.values()) for (const { seat } of live.seats()) nodes.add(seat.node);
		return nodes;
	}

	/** Chat nodes whose heartbeat stopped: their sockets are gone without a word. */
	nodesGone(nodes: ReadonlySet<string>): void {
		for (const live of [...this.lives.values()]) for (const { seat } of live.seats()) if (nodes.has(seat.node)) this.socketGone(seat.socketId);
	}

	stopTaking(): void {
		this.closed = true;
	}

	/** Ends every stream (the process stops) and waits until their lines are written. */
	async close(reason: LiveEndReason): Promise<void> {
		this.closed = true;
		for (const live of [...this.lives.values()]) this.end(live, reason);
		await this.settled();
	}

	async settled(): Promise<void> {
		while (this.pending.size > 0) await Promise.all(this.pending);
	}

	end(live: Live, reason: LiveEndReason): void {
		if (live.state === 'ended') return;
		live.state = 'ended';
		live.endReason = reason;
		live.endedAt = this.now();
		live.close();
		this.deps.relays?.end(live.id);
		this.lives.delete(live.id);
		const summary = live.summary();
		this.deps.log.with({ live: live.id }).info(`ended: ${reason} (${summary.durationSec} s, ${summary.peakViewers} viewers at most)`);
		// Tracked, so a stopping process tells everyone before it closes its connections.
		this.track(this.audience(live).then((members) => this.deps.signals.toUsers(members, 'live:ended', { liveId: live.id, threadId: live.threadId, reason, summary })));
		this.track(this.deps.directory.remove(live.info()).then(() => this.deps.record(live)));
	}

	private async drop(live: Live, userId: string): Promise<void> {
		if (!live.viewers.delete(userId)) return;
		void live.media?.then(
			(m) => this.unserve(live, m, userId),
			() => undefined
		);
		await this.changed(live, true);
	}

	/** A viewer stops being served: by its relay, or here. */
	private unserve(live: Live, media: CallMedia, userId: string): void {
		if (this.deps.relays?.servedBy(live.id, userId)) this.deps.relays.leave(live.id, userId);
		else media.leave(userId);
	}

	/** Stores the stream's state, then (when people should know) tells every member. */
	private async changed(live: Live, tell: boolean): Promise<void> {
		const stored = this.publish(live);
		this.track(stored);
		await stored.catch(() => undefined);
		if (!tell || live.state === 'ended') return;
		const members = await this.audience(live);
		if (live.endedAt === null) this.deps.signals.toUsers(members, 'live:updated', { live: live.info() });
	}

	/**
	 * The thread's members, read again when older than `maxAgeMs`: someone removed from a group hears
	 * no more of its stream, and may not watch it. On a failed read, the members as last known.
	 */
	private async audience(live: Live, maxAgeMs = 2000): Promise<string[]> {
		if (this.deps.members && this.now() - live.membersAt >= maxAgeMs) {
			try {
				live.members = new Set(await this.deps.members(live.threadId));
				live.membersAt = this.now();
				// A viewer who is no member any more stops watching.
				for (const userId of [...live.viewers.keys()]) if (!live.members.has(userId)) void this.drop(live, userId);
			} catch (error) {
				this.deps.log.warn('reading the members of a live stream\'s thread failed', { error: String(error) });
			}
		}
		return [...live.members];
	}

	private async mediaReady(live: Live): Promise<CallMedia> {
		const media = live.media ? await live.media.catch(() => null) : null;
		if (!media || live.state === 'ended') throw new AppError('not_found', `live stream "${live.id}" not found`);
		return media;
	}

	private publish(live: Live): Promise<void> {
		return this.deps.directory.put({ host: this.deps.hostId, live: live.info(), members: [...live.members], peak: live.peak });
	}

	private track(work: Promise<unknown>): void {
		const done: Promise<void> = work
			.then(() => undefined)
			.catch((error) => this.deps.log.error('recording a live stream change failed', error))
			.finally(() => this.pending.delete(done));
		this.pending.add(done);
	}

	/** A stream `userId` may see (a member of its thread): `not_found` otherwise, as for none. */
	find(liveId: string, userId: string): Live {
		const live = this.lives.get(liveId);
		// Outsiders cannot tell a stream they may not see from one that does not exist.
		if (!live || !live.members.has(userId)) throw new AppError('not_found', `live stream "${liveId}" not found`);
		return live;
	}
}
