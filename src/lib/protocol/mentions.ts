/**
 * Mentions in group messages (docs/PROTOCOL.md, "Groups"): `@username` names a member, `@everyone`
 * every member (only from the owner and admins). One parser for the server, which records whom a
 * message mentions, and for clients, which highlight and complete them.
 */

/** The word that mentions every member. No account can take it as a username. */
export const EVERYONE = 'everyone';

// `@` at the start or after anything that cannot be part of a username (so an e-mail address is no
// mention), then a username's characters.
const MENTION = /(?<![A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{1,64})/g;

/**
 * The lower-cased names `text` mentions, each once, in order. A name's trailing dots and dashes are
 * sentence punctuation ("thanks @bob."), so both the name as written and the name without them are
 * given: the caller keeps whichever is a member's username.
 */
export function mentionedNames(text: string): string[] {
	const names = new Set<string>();
	for (const match of text.matchAll(MENTION)) {
		const name = match[1].toLowerCase();
		names.add(name);
		const trimmed = name.replace(/[.-]+$/, '');
		if (trimmed) names.add(trimmed);
	}
	return [...names];
}

/** True when `text` mentions `username` (any case) or, when `everyone` counts, `@everyone`. */
export function mentions(text: string, username: string, everyone = true): boolean {
	const names = mentionedNames(text);
	return names.includes(username.toLowerCase()) || (everyone && names.includes(EVERYONE));
}

/**
 * The mention being typed at `caret`, for completion: the `@` word that ends at the caret (`query`
 * without the `@`, maybe empty) and where it starts; null when the caret is not in one.
 */
export function mentionAt(text: string, caret: number): { start: number; query: string } | null {
	const before = text.slice(0, caret);
	const match = /(?<![A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{0,64})$/.exec(before);
	if (!match) return null;
	return { start: match.index, query: match[1] };
}

/**
 * `text` with the mention at `start` (typed up to `caret`) completed as `@username`, and a space
 * after it unless a space or punctuation follows already; the caret goes after what was inserted.
 */
export function completeMention(text: string, start: number, caret: number, username: string): { text: string; caret: number } {
	const after = text.slice(caret).replace(/^[A-Za-z0-9_.-]*/, '');
	const inserted = /^[\s,;:!?)]/.test(after) ? `@${username}` : `@${username} `;
	return { text: text.slice(0, start) + inserted + after, caret: start + inserted.length };
}
