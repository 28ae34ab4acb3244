import type { CallInfo, CallSummary, UserCard } from '../../../src/lib/protocol/index.js';
import type { Chat } from '../../chat/chat.types.js';
import * as threadsRepo from '../../chat/conversations/threads.repository.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { CallSignals, InviteInput } from '../calls/calls.service.js';
import type { CallDirectory, CallRecord } from '../cluster/directory.js';
import type { HostOp, MediaLink } from '../cluster/link.js';
import type { MediaNodes } from '../cluster/media-nodes.js';
import { Hosted } from './hosted.js';

export interface CallsFrontOptions {
	/** This chat node's id. */
	self: string;
	chat: Chat;
	link: MediaLink;
	nodes: MediaNodes;
	directory: CallDirectory;
	signals: Pick<CallSignals, 'toUsers'>;
	/** The host of a live stream (`media:*` with `callId = liveId`), or null; consulted when no call has the id. */
	liveHost?: (socketId: string, liveId: string) => Promise<string | null>;
	log: Logger;
}

/** Who asks, as the request table's handler context has it. */
export interface Asker {
	userId: string;
	socket: { id: string };
}

/**
 * The chat node's side of calls: it checks who may start a call in a thread, passes every request about
 * a call to the media node that hosts it (this process or another, through the link), remembers which
 * calls its sockets are in (to tell their hosts when a socket drops), and watches those hosts: when one
 * dies, everyone in its calls is told `media_lost` and the call's line is written, once.
 */
export class CallsFront {
	/** Socket id → call id → the call's host. */
	private readonly hosted: Hosted;

	constructor(private readonly options: CallsFrontOptions) {
		this.hosted = new Hosted({ self: options.self, link: options.link, nodes: options.nodes, log: options.log, noun: 'call', lost: (callId) => this.lose(callId) });
	}

	async invite(ask: Asker, input: { threadId: string; video: boolean }): Promise<{ call: CallInfo }> {
		const { chat, directory } = this.options;
		const thread = await chat.threads.get(ask.userId, input.threadId);
		const group = thread.kind === 'group';
		if (group) {
			const running = await directory.ofThread(input.threadId);
			if (running) return this.join(ask, running.call.callId);
		}
		if (!group && !thread.peer) throw new AppError('invalid_input', `thread "${input.threadId}" has no one to call`, { fields: { threadId: 'has no one to call' } });
		// A 1:1 call is a private message's equal: friends only, neither blocked.
		if (!group) await chat.blocks.assertMayWrite(ask.userId, thread.peer!.id);
		const members = group ? await threadsRepo.memberIdsOf(chat.db, input.threadId) : [ask.userId, thread.peer!.id];
		const viewer = members.find((id) => id !== ask.userId) ?? ask.userId;
		const caller = (await chat.users.cardsById(viewer, [ask.userId])).get(ask.userId) as UserCard;
		const host = await this.pick();
		const request: InviteInput = { threadId: input.threadId, video: input.video, group, members, caller };
		try {
			return await this.forward(ask, host, 'invite', request as unknown as Record<string, unknown>);
		} catch (error) {
			// Two members started a group call at once: the later one joins the first.
			const running = error instanceof AppError && error.code === 'conflict' ? error.fields?.callId : undefined;
			if (running) return this.join(ask, running);
			throw error;
		}
	}

	async test(ask: Asker): Promise<{ call: CallInfo }> {
		return this.forward(ask, await this.pick(), 'test', {});
	}

	/** Joins a call in one of your threads (checked against the thread's members now). */
	async join(ask: Asker, callId: string, op: 'join' | 'accept' = 'join'): Promise<{ call: CallInfo }> {
		const record = await this.record(callId);
		if (record.call.threadId) await this.options.chat.threads.requireMember(record.call.threadId, ask.userId).catch(() => notFound(callId));
		return this.forward(ask, record.host, op, { callId });
	}

	/** Any other request about a call: to its host. */
	async pass<T>(ask: Asker, op: HostOp, input: Record<string, unknown> & { callId: string }): Promise<T> {
		const host = this.hosted.hostOf(ask.socket.id, input.callId) ?? (await this.hostOf(ask.socket.id, input.callId));
		return this.forward(ask, host, op, input) as Promise<T>;
	}

	/** The calls in progress in your groups, and the one you are in or rung by. */
	async active(userId: string): Promise<{ calls: CallInfo[] }> {
		const { chat, directory } = this.options;
		const records = await Promise.all((await threadsRepo.groupIdsOf(chat.db, userId)).map((id) => directory.ofThread(id)));
		const calls = new Map<string, CallInfo>();
		for (const r of records) if (r) calls.set(r.call.callId, r.call);
		const own = await directory.userCall(userId);
		const ownRecord = own && !calls.has(own) ? await directory.get(own) : null;
		if (ownRecord && ownRecord.call.threadId) calls.set(own!, ownRecord.call);
		return { calls: [...calls.values()] };
	}

	/** Whether any media node could take a new call now. */
	async available(): Promise<boolean> {
		return (await this.options.nodes.pick().catch(() => null)) !== null;
	}

	/** A socket of this node went away: the hosts of its calls drop it. */
	socketGone(socketId: string): void {
		this.hosted.socketGone(socketId);
	}

	/** Checks the hosts of this node's calls every `intervalMs`. */
	watch(intervalMs = 1000): void {
		this.hosted.watch(intervalMs);
	}

	stop(): void {
		this.hosted.stop();
	}

	/** Ends the calls whose host died (`media_lost`), for everyone in them. */
	check(): Promise<void> {
		return this.hosted.check();
	}

	private async lose(callId: string): Promise<void> {
		const { directory, chat, signals, log } = this.options;
		if (!(await directory.claimLost(callId))) return;
		const record = await directory.get(callId);
		if (!record) return;
		const summary = lostSummary(record, Date.now());
		log.warn(`call "${callId}" lost its media node "${record.host}"; it ends for everyone in it`);
		signals.toUsers(record.members, 'call:ended', { callId, reason: 'media_lost', summary });
		await directory.remove({ call: record.call, members: [...new Set([...record.members, ...record.people])] });
		if (record.call.threadId) await chat.track(chat.messages.sendCall(record.call.callerId, { threadId: record.call.threadId, callId, summary }));
	}

	private async pick(): Promise<string> {
		const host = await this.options.nodes.pick();
		if (!host) throw new AppError('not_implemented', 'calls are unavailable on this server: no media node is running');
		return host;
	}

	/** Where a call (or a live stream, whose media requests look like a call's) lives. */
	private async hostOf(socketId: string, callId: string): Promise<string> {
		const record = await this.options.directory.get(callId);
		if (record) return record.host;
		const live = await this.options.liveHost?.(socketId, callId);
		return live ?? notFound(callId);
	}

	private async record(callId: string): Promise<CallRecord> {
		const record = await this.options.directory.get(callId);
		if (!record) notFound(callId);
		return record!;
	}

	private async forward<T>(ask: Asker, host: string, op: HostOp, input: Record<string, unknown>): Promise<T> {
		const result = (await this.options.link.request(host, { op, ctx: { userId: ask.userId, socketId: ask.socket.id, node: this.options.self }, input })) as T;
		const call = (result as { call?: CallInfo }).call;
		// The socket is in this call now (or rings it): remember where, for its drop and for a lost host.
		if (call && call.state !== 'ended') this.hosted.add(ask.socket.id, call.callId, host);
		return result;
	}
}

function notFound(callId: string): never {
	throw new AppError('not_found', `call "${callId}" not found`);
}

/** The line of a call whose host died: as far as it got. */
export function lostSummary(record: CallRecord, now: number): CallSummary {
	const answeredAt = record.call.answeredAt ? Date.parse(record.call.answeredAt) : null;
	const summary: CallSummary = {
		callKind: record.call.kind,
		durationSec: answeredAt === null ? 0 : Math.max(0, Math.round((now - answeredAt) / 1000)),
		outcome: answeredAt === null ? 'failed' : 'completed'
	};
	if (record.call.group) summary.people = record.people.length;
	return summary;
}
