// The parent's side of a capacity step, shared by bench/capacity.ts (Parley, socket.io, ws through
// bench/lib/hold-clients.ts) and bench/peer.ts (ejabberd through bench/lib/xmpp-generator.ts, which
// answers the same `open` as hold-clients): the connections a step still needs, shared evenly over the
// generator processes, and what opening them cost.
import type { OpenedReply } from './hold-clients.js';

/** What a step records of opening its connections. */
export interface OpenedFigures {
	opened: number;
	failed: number;
	/** Failed connections by stage or kind. */
	failures: Record<string, number>;
	/** The first few errors. */
	errors: string[];
	/** The slowest generator's time to open its share. */
	connectSeconds: number;
}

export interface HeldStep extends Partial<OpenedFigures> {
	target: number;
	/** Why the step was not run. */
	skipped?: string;
	/** Open at the memory measurement. */
	heldAtMemory?: number;
	/** Open after the CPU window. */
	held?: number;
}

/** Opens `need` more connections, `openOn(i, count)` on generator i of `generators` (a share each). */
export async function openShares(generators: number, need: number, openOn: (i: number, count: number) => Promise<OpenedReply>): Promise<OpenedFigures> {
	const shares = Array.from({ length: generators }, (_, i) => Math.floor(need / generators) + (i < need % generators ? 1 : 0));
	const opened = await Promise.all(shares.map((share, i) => (share > 0 ? openOn(i, share) : Promise.resolve<OpenedReply>({ type: 'opened', ok: 0, failed: 0, failures: {}, errors: [], seconds: 0 }))));
	const failures: Record<string, number> = {};
	for (const o of opened) for (const [kind, n] of Object.entries(o.failures)) failures[kind] = (failures[kind] ?? 0) + n;
	return {
		opened: opened.reduce((s, o) => s + o.ok, 0),
		failed: opened.reduce((s, o) => s + o.failed, 0),
		failures,
		errors: opened.flatMap((o) => o.errors).slice(0, 5),
		connectSeconds: Math.max(...opened.map((o) => o.seconds))
	};
}
