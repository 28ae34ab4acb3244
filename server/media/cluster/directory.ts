import type { CallInfo } from '../../../src/lib/protocol/index.js';
import type { KeyValueStore } from '../../kv/kv.js';

/** What every node can read of a call in progress. */
export interface CallRecord {
	/** The media node that hosts the call's router and state. */
	host: string;
	call: CallInfo;
	/** Who may see and join it: the thread's members when it started. */
	members: string[];
	/** Everyone who was ever in it (for the group line when the host is lost). */
	people: string[];
	/** When it started (ms), for the line's duration when the host is lost. */
	createdAt: number;
}

/** A call outlives no day; the keys lapse even if nobody cleans up after a lost host. */
const TTL_MS = 12 * 60 * 60 * 1000;

/**
 * The calls in progress of the whole cluster, in the shared key-value store (Redis in a cluster, memory
 * in one process): where each call lives (`call:<id>`), the call of each group thread
 * (`call:thread:<id>`), and the call each person is in (`call:user:<id>`), so a person is in one call
 * however many media nodes there are.
 */
export class CallDirectory {
	constructor(private readonly kv: KeyValueStore) {}

	async put(record: CallRecord): Promise<void> {
		await this.kv.set(`call:${record.call.callId}`, JSON.stringify(record), TTL_MS);
	}

	async get(callId: string): Promise<CallRecord | null> {
		const raw = await this.kv.get(`call:${callId}`);
		return raw ? (JSON.parse(raw) as CallRecord) : null;
	}

	/** The call in progress in a group thread, if any. */
	async ofThread(threadId: string): Promise<CallRecord | null> {
		const callId = await this.kv.get(`call:thread:${threadId}`);
		if (!callId) return null;
		const record = await this.get(callId);
		if (!record) await this.kv.del(`call:thread:${threadId}`);
		return record;
	}

	/** Makes `callId` the thread's call; returns the call id already there (still in progress) instead. */
	async claimThread(threadId: string, callId: string): Promise<string | null> {
		return this.claim(`call:thread:${threadId}`, callId);
	}

	/** Marks `userId` as in (or rung by) `callId`; returns the other call they are in instead. */
	async claimUser(userId: string, callId: string): Promise<string | null> {
		return this.claim(`call:user:${userId}`, callId);
	}

	async userCall(userId: string): Promise<string | null> {
		return this.kv.get(`call:user:${userId}`);
	}

	async releaseUser(userId: string, callId: string): Promise<void> {
		if ((await this.kv.get(`call:user:${userId}`)) === callId) await this.kv.del(`call:user:${userId}`);
	}

	/** Forgets a call that ended: its record, its thread's entry and its people's marks. */
	async remove(record: Pick<CallRecord, 'call' | 'members'>): Promise<void> {
		const { callId, threadId } = record.call;
		await this.kv.del(`call:${callId}`);
		if (threadId && (await this.kv.get(`call:thread:${threadId}`)) === callId) await this.kv.del(`call:thread:${threadId}`);
		for (const userId of record.members) await this.releaseUser(userId, callId);
	}

	/** One node (of those that noticed a lost host) gets to end the call: true for that one. */
	claimLost(callId: string): Promise<boolean> {
		return this.kv.setIfAbsent(`call:lost:${callId}`, '1', 60_000);
	}

	private async claim(key: string, callId: string): Promise<string | null> {
		for (let tries = 0; tries < 3; tries++) {
			if (await this.kv.setIfAbsent(key, callId, TTL_MS)) return null;
			const held = await this.kv.get(key);
			if (held === callId) return null;
			// A mark whose call is gone (its host died before cleaning up) is taken over.
			if (held && (await this.kv.get(`call:${held}`))) return held;
			if (held) await this.kv.del(key);
		}
		return (await this.kv.get(key)) ?? null;
	}
}
