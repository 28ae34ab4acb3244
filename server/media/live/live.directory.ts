import type { LiveInfo } from '../../../src/lib/protocol/index.js';
import type { KeyValueStore } from '../../kv/kv.js';

/** What every node can read of a live stream in progress. */
export interface LiveRecord {
	/** The media node that hosts its router and state. */
	host: string;
	live: LiveInfo;
	/** Who may watch and is told: the thread's members when it started. */
	members: string[];
	/** The most viewers at once so far (for the line when the host is lost). */
	peak: number;
}

/** A stream outlives no day; the keys lapse even if nobody cleans up after a lost host. */
const TTL_MS = 12 * 60 * 60 * 1000;

/**
 * The live streams of the whole cluster, in the shared key-value store (Redis in a cluster, memory in
 * one process): each stream (`live:<id>`), the stream of each thread (`live:thread:<id>`: one at a time)
 * and of each streamer (`live:user:<id>`: one at a time). Apart from the calls' directory, so watching a
 * stream and being in a call do not exclude each other.
 */
export class LiveDirectory {
	constructor(private readonly kv: KeyValueStore) {}

	async put(record: LiveRecord): Promise<void> {
		await this.kv.set(`live:${record.live.liveId}`, JSON.stringify(record), TTL_MS);
	}

	async get(liveId: string): Promise<LiveRecord | null> {
		const raw = await this.kv.get(`live:${liveId}`);
		return raw ? (JSON.parse(raw) as LiveRecord) : null;
	}

	/** The stream in progress in a thread, if any. */
	async ofThread(threadId: string): Promise<LiveRecord | null> {
		const liveId = await this.kv.get(`live:thread:${threadId}`);
		if (!liveId) return null;
		const record = await this.get(liveId);
		if (!record) await this.kv.del(`live:thread:${threadId}`);
		return record;
	}

	/** The stream `userId` streams now, if any. */
	async ofUser(userId: string): Promise<string | null> {
		return this.kv.get(`live:user:${userId}`);
	}

	/** Makes `liveId` the thread's stream; returns the stream id already there (still live) instead. */
	claimThread(threadId: string, liveId: string): Promise<string | null> {
		return this.claim(`live:thread:${threadId}`, liveId);
	}

	/** Makes `liveId` the stream of `userId`; returns the other stream they stream instead. */
	claimUser(userId: string, liveId: string): Promise<string | null> {
		return this.claim(`live:user:${userId}`, liveId);
	}

	/** Forgets a stream: its record and its thread's and streamer's marks (only if still its own). */
	async remove(live: Pick<LiveInfo, 'liveId' | 'threadId' | 'streamerId'>): Promise<void> {
		await this.kv.del(`live:${live.liveId}`);
		await this.release(`live:thread:${live.threadId}`, live.liveId);
		await this.release(`live:user:${live.streamerId}`, live.liveId);
	}

	/** One node (of those that noticed a lost host) gets to end the stream: true for that one. */
	claimLost(liveId: string): Promise<boolean> {
		return this.kv.setIfAbsent(`live:lost:${liveId}`, '1', 60_000);
	}

	private async release(key: string, liveId: string): Promise<void> {
		if ((await this.kv.get(key)) === liveId) await this.kv.del(key);
	}

	private async claim(key: string, liveId: string): Promise<string | null> {
		for (let tries = 0; tries < 3; tries++) {
			if (await this.kv.setIfAbsent(key, liveId, TTL_MS)) return null;
			const held = await this.kv.get(key);
			if (held === liveId) return null;
			// A mark whose stream is gone (its host died before cleaning up) is taken over.
			if (held && (await this.kv.get(`live:${held}`))) return held;
			if (held) await this.kv.del(key);
		}
		return (await this.kv.get(key)) ?? null;
	}
}
