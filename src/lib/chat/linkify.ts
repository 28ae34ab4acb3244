/**
 * A message's text cut into plain runs, links, e-mail addresses and `@mentions`, for the bubble to
 * render as text nodes and `<a>` elements (never HTML). Only `http:`/`https:` URLs (and `www.` names,
 * which get `https://`) and e-mail addresses (`mailto:`) become links: nothing a user types can make a
 * `javascript:` or `data:` link. One scan over the text with patterns that never backtrack across it,
 * so a message of any length costs time in proportion to its length.
 */

export type TextToken =
	| { kind: 'text'; text: string }
	| { kind: 'link'; text: string; href: string }
	| { kind: 'email'; text: string; href: string }
	| { kind: 'mention'; text: string; username: string };

export interface LinkifyOptions {
	/**
	 * Whether `@name` (lower-cased, without the `@`) names someone the mention chip is for: a member of
	 * the thread, or `everyone` in a group. Default: no name is a mention (it stays text).
	 */
	isMention?: (name: string) => boolean;
}

// A candidate starts where no word, address or mention character comes before it (so "x@y" is no
// mention and "ahttp://" no link), which also means the engine tries each run of such characters once.
// Then: a URL (scheme or `www.`, then anything up to white space or <>"), an e-mail address, or a mention.
const CANDIDATE = /(?<![A-Za-z0-9_.%+@-])(?:(?:https?:\/\/|www\.)[^\s<>"]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|@[A-Za-z0-9_.-]{1,64})/gi;

/** Punctuation that ends a sentence rather than a URL: "see https://example.org." */
const TRAILING = new Set(['.', ',', ';', ':', '!', '?', "'", '"', '*', '_', ')', ']', '}']);
const OPENER: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/** `text` as tokens; joining their `text` gives `text` back. */
export function linkify(text: string, options: LinkifyOptions = {}): TextToken[] {
	const tokens: TextToken[] = [];
	let at = 0;
	const plain = (end: number) => {
		if (end <= at) return;
		const last = tokens[tokens.length - 1];
		if (last?.kind === 'text') last.text += text.slice(at, end);
		else tokens.push({ kind: 'text', text: text.slice(at, end) });
		at = end;
	};
	for (const match of text.matchAll(CANDIDATE)) {
		const token = classify(match[0], options);
		if (!token) continue;
		plain(match.index);
		tokens.push(token);
		at = match.index + token.text.length;
	}
	plain(text.length);
	return tokens;
}

function classify(raw: string, options: LinkifyOptions): TextToken | null {
	const first = raw[0];
	if (first === '@') {
		const name = raw.slice(1).replace(/[.-]+$/, '');
		if (!name || !options.isMention?.(name.toLowerCase())) return null;
		return { kind: 'mention', text: `@${name}`, username: name.toLowerCase() };
	}
	if (/^(?:https?:\/\/|www\.)/i.test(raw)) {
		const text = trimUrl(raw);
		const href = safeHref(/^www\./i.test(text) ? `https://${text}` : text);
		return href ? { kind: 'link', text, href } : null;
	}
	// An e-mail address: its domain ends in a name of letters ("a@b.c1" is not one).
	const domain = raw.slice(raw.indexOf('@') + 1);
	if (!/\.[A-Za-z]{2,}$/.test(domain) || raw.startsWith('.')) return null;
	return { kind: 'email', text: raw, href: `mailto:${raw}` };
}

/** The URL without the sentence punctuation after it; a closing bracket stays when it closes one in the URL. */
function trimUrl(raw: string): string {
	const open: Record<string, number> = { '(': 0, '[': 0, '{': 0 };
	const close: Record<string, number> = { ')': 0, ']': 0, '}': 0 };
	for (const c of raw) {
		if (c in open) open[c]++;
		else if (c in close) close[c]++;
	}
	let end = raw.length;
	while (end > 0 && TRAILING.has(raw[end - 1])) {
		const c = raw[end - 1];
		const opener = OPENER[c];
		if (opener && close[c] <= open[opener]) break;
		if (opener) close[c]--;
		end--;
	}
	return raw.slice(0, end);
}

/** `url` as a link target when it is an http(s) URL with a host; null otherwise. */
function safeHref(url: string): string | null {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return null;
	}
	if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.hostname) return null;
	return parsed.href;
}
