import { canManage, mentionAt, mentionCandidates } from '$lib/chat/groups';
import type { Thread } from '$lib/protocol';

/** Someone the composer offers for an `@` (or @everyone). */
export interface MentionOption {
	id: string;
	username: string;
	displayName: string;
}

/** The keys the offer takes from the composer while it is open. */
export const MENTION_KEYS = ['ArrowDown', 'ArrowUp', 'Enter', 'Tab', 'Escape'];

/** Whom an `@` being typed (`mention`) may mean: the other members, and @everyone to owners and admins; none once dismissed. */
export function mentionOptions(thread: Thread | undefined, mention: { start: number; query: string } | null, me: string, dismissedAt: number | null): MentionOption[] {
	if (!thread || !mention || mention.start === dismissedAt) return [];
	const found: MentionOption[] = mentionCandidates(thread.members, mention.query, me);
	if (canManage(thread.myRole) && 'everyone'.startsWith(mention.query.toLowerCase())) found.push({ id: 'everyone', username: 'everyone', displayName: 'Everyone in the group' });
	return found;
}

/** The highlighted option after an arrow key, going round at either end. */
export function stepActive(active: number, key: 'ArrowDown' | 'ArrowUp', length: number): number {
	return (active + (key === 'ArrowDown' ? 1 : -1) + length) % length;
}

/**
 * Groups: the composer's offer of members for an `@` being typed. `source` gives the thread, the text and
 * the user; the composer keeps `caret` up to date and resets `active` as the text changes.
 */
export class MentionCompletion {
	caret = $state(0);
	active = $state(0);
	/** Where the offer was closed with Escape: not offered again for that `@`. */
	#dismissedAt = $state<number | null>(null);
	readonly #source: () => { thread: Thread | undefined; text: string; me: string };
	readonly mention = $derived.by(() => {
		const { thread, text } = this.#source();
		return thread?.kind === 'group' ? mentionAt(text, this.caret) : null;
	});
	readonly options = $derived.by(() => {
		const { thread, me } = this.#source();
		return mentionOptions(thread, this.mention, me, this.#dismissedAt);
	});
	readonly open = $derived(this.options.length > 0);
	/** The highlighted option. */
	readonly index = $derived(Math.min(this.active, this.options.length - 1));

	constructor(source: () => { thread: Thread | undefined; text: string; me: string }) {
		this.#source = source;
	}

	/** One of MENTION_KEYS while open: arrows move, Escape closes, Enter and Tab give the option to pick. */
	key(key: string): MentionOption | null {
		if (key === 'ArrowDown' || key === 'ArrowUp') this.active = stepActive(this.active, key, this.options.length);
		else if (key === 'Escape') this.#dismissedAt = this.mention?.start ?? null;
		else return this.options[this.index];
		return null;
	}
}
