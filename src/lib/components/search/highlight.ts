/** A snippet cut into the text between hits and the hits, for `<mark>`: rendered as text, never as HTML. */
export interface SnippetPart {
	text: string;
	hit: boolean;
}

/**
 * Splits `snippet` at `ranges` (`[start, end)` in UTF-16 units, from `messages:search`). Ranges that
 * overlap, run backwards or fall outside the snippet are clipped or dropped, so a bad answer can only
 * lose a mark, never text.
 */
export function snippetParts(snippet: string, ranges: ReadonlyArray<readonly [number, number]>): SnippetPart[] {
	const parts: SnippetPart[] = [];
	let at = 0;
	for (const [rawStart, rawEnd] of [...ranges].sort((x, y) => x[0] - y[0])) {
		const start = Math.max(at, Math.min(rawStart, snippet.length));
		const end = Math.min(Math.max(rawEnd, start), snippet.length);
		if (end <= start) continue;
		if (start > at) parts.push({ text: snippet.slice(at, start), hit: false });
		parts.push({ text: snippet.slice(start, end), hit: true });
		at = end;
	}
	if (at < snippet.length) parts.push({ text: snippet.slice(at), hit: false });
	return parts;
}

/** Whether a key press is typing into something (where `/` is a character, not the search shortcut). */
export function isTyping(target: EventTarget | null): boolean {
	if (!(target instanceof HTMLElement)) return false;
	return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}
