import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { MediaLink } from '../cluster/link.js';
import type { MediaNodes } from '../cluster/media-nodes.js';

export interface HostedOptions {
	/** This chat node's id (its own hosts are never checked for death). */
	self: string;
	link: MediaLink;
	nodes: MediaNodes;
	log: Logger;
	/** What the ids name, for log lines (e.g. `call`, `live stream`). */
	noun: string;
	/** Ends one id whose host died (`media_lost`); called once per id per check, errors logged. */
	lost: (id: string) => Promise<void>;
}

/**
 * Which media host holds what each socket of this chat node is in (a call, a live stream), shared by the
 * fronts: it tells the hosts when a socket drops, and watches them so that what a dead host held ends.
 */
export class Hosted {
	/** Socket id → id → its host. */
	private readonly bySocket = new Map<string, Map<string, string>>();
	private watching: NodeJS.Timeout | null = null;
	private checking = false;

	constructor(private readonly options: HostedOptions) {}

	/** The host this socket reached `id` on, if it is in it. */
	hostOf(socketId: string, id: string): string | undefined {
		return this.bySocket.get(socketId)?.get(id);
	}

	/** The socket is in `id` now, hosted by `host`. */
	add(socketId: string, id: string, host: string): void {
		let ids = this.bySocket.get(socketId);
		if (!ids) this.bySocket.set(socketId, (ids = new Map()));
		ids.set(id, host);
	}

	/** The socket left `id`. */
	forget(socketId: string, id: string): void {
		const ids = this.bySocket.get(socketId);
		ids?.delete(id);
		if (ids?.size === 0) this.bySocket.delete(socketId);
	}

	/** A socket of this node went away: the hosts of what it was in drop it. */
	socketGone(socketId: string): void {
		const ids = this.bySocket.get(socketId);
		if (!ids) return;
		this.bySocket.delete(socketId);
		const { link, self, log } = this.options;
		for (const host of new Set(ids.values())) {
			link.request(host, { op: 'socketGone', ctx: { userId: '', socketId, node: self }, input: { socketId } }).catch((error) => {
				if (!(error instanceof AppError && error.code === 'unavailable')) log.warn(`telling media node "${host}" of a dropped socket failed`, { error: String(error) });
			});
		}
	}

	/** Checks the hosts every `intervalMs` (default 1000); once, however often called. */
	watch(intervalMs = 1000): void {
		this.watching ??= setInterval(() => void this.check(), intervalMs);
		this.watching.unref();
	}

	stop(): void {
		if (this.watching) clearInterval(this.watching);
		this.watching = null;
	}

	/** Finds the hosts that died and ends what they held (through `lost`), each id once. */
	async check(): Promise<void> {
		if (this.checking) return;
		this.checking = true;
		const { self, nodes, log, noun, lost } = this.options;
		try {
			const hosts = new Set<string>();
			for (const ids of this.bySocket.values()) for (const host of ids.values()) if (host !== self) hosts.add(host);
			if (hosts.size === 0) return;
			const dead = await nodes.dead([...hosts]);
			if (dead.size === 0) return;
			const gone = new Set<string>();
			for (const [socketId, ids] of this.bySocket) {
				for (const [id, host] of ids) {
					if (!dead.has(host)) continue;
					gone.add(id);
					ids.delete(id);
				}
				if (ids.size === 0) this.bySocket.delete(socketId);
			}
			for (const id of gone) await lost(id).catch((error) => log.error(`ending lost ${noun} "${id}" failed`, error));
		} catch (error) {
			log.warn('checking the media nodes failed', { error: String(error) });
		} finally {
			this.checking = false;
		}
	}
}
