import { describe, expect, it } from 'vitest';
import { linkify, type TextToken } from './linkify';

const members = new Set(['bob', 'cat.k', 'everyone']);
const opts = { isMention: (name: string) => members.has(name) };
const links = (text: string) => linkify(text, opts).filter((t) => t.kind !== 'text');
const joined = (tokens: TextToken[]) => tokens.map((t) => t.text).join('');

describe('linkify', () => {
	it('loses nothing: the tokens join back to the text', () => {
		for (const text of ['', 'plain', 'a https://x.org/b. c', 'mail me: a@b.co!\nsecond line', '(see www.example.com/a_(b))', '@bob, @nobody and @cat.k.']) {
			expect(joined(linkify(text, opts))).toBe(text);
		}
	});

	it('links http, https and www. URLs, www. as https', () => {
		expect(links('go to https://example.org/a?b=1#c now')).toEqual([{ kind: 'link', text: 'https://example.org/a?b=1#c', href: 'https://example.org/a?b=1#c' }]);
		expect(links('http://example.org')).toEqual([{ kind: 'link', text: 'http://example.org', href: 'http://example.org/' }]);
		expect(links('www.example.org/x')).toEqual([{ kind: 'link', text: 'www.example.org/x', href: 'https://www.example.org/x' }]);
		expect(links('HTTPS://Example.org')[0]).toMatchObject({ kind: 'link', href: 'https://example.org/' });
	});

	it('leaves sentence punctuation and unbalanced brackets out of a URL', () => {
		expect(links('see https://example.org.')[0].text).toBe('https://example.org');
		expect(links('really? https://example.org/a!?')[0].text).toBe('https://example.org/a');
		expect(links('"https://example.org/q",')[0].text).toBe('https://example.org/q');
		expect(links('(https://example.org/a)')[0].text).toBe('https://example.org/a');
		expect(links('(see https://en.wikipedia.org/wiki/Foo_(bar)).')[0].text).toBe('https://en.wikipedia.org/wiki/Foo_(bar)');
		expect(links('[https://example.org/x]')[0].text).toBe('https://example.org/x');
		const tokens = linkify('(https://example.org/a).', opts);
		expect(tokens).toEqual([
			{ kind: 'text', text: '(' },
			{ kind: 'link', text: 'https://example.org/a', href: 'https://example.org/a' },
			{ kind: 'text', text: ').' }
		]);
	});

	it('makes e-mail addresses mailto: links', () => {
		expect(links('write to ada.l+chat@mail.example.org.')).toEqual([{ kind: 'email', text: 'ada.l+chat@mail.example.org', href: 'mailto:ada.l+chat@mail.example.org' }]);
		expect(links('not a@b or a@b.c1 or user@localhost')).toEqual([]);
	});

	it('makes @names of members mentions, and nothing else', () => {
		expect(links('hi @Bob, and @nobody, and @cat.k.')).toEqual([
			{ kind: 'mention', text: '@Bob', username: 'bob' },
			{ kind: 'mention', text: '@cat.k', username: 'cat.k' }
		]);
		expect(links('@everyone meeting')).toEqual([{ kind: 'mention', text: '@everyone', username: 'everyone' }]);
		// No mention inside an address, and no mentions at all without a member list.
		expect(links('bob@bob')).toEqual([]);
		expect(linkify('@bob').filter((t) => t.kind !== 'text')).toEqual([]);
	});

	it('links no other scheme, and nothing glued to a word', () => {
		for (const text of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)//https://x.org', 'data:text/html,<b>x</b>', 'ftp://example.org', 'file:///etc/passwd', 'xhttps://example.org', 'example.org', 'https://', 'https://.', 'www.', '<a href="x">y</a>', 'vbscript:x']) {
			for (const t of links(text)) expect(t.kind === 'link' ? t.href : '').toMatch(/^https:\/\/x\.org\/?$|^$/);
		}
		expect(links('javascript:alert(1)')).toEqual([]);
		expect(links('data:text/html;base64,PHNjcmlwdD4=')).toEqual([]);
		// The link ends at characters that cannot be in one unescaped.
		expect(links('https://x.org/"onmouseover="alert(1)')[0].text).toBe('https://x.org/');
		expect(links('https://x.org/<script>')[0].text).toBe('https://x.org/');
	});

	it('keeps line breaks in the text runs', () => {
		expect(linkify('one\ntwo https://x.org\nthree', opts)).toEqual([
			{ kind: 'text', text: 'one\ntwo ' },
			{ kind: 'link', text: 'https://x.org', href: 'https://x.org/' },
			{ kind: 'text', text: '\nthree' }
		]);
	});

	it('gets through very long hostile input (a run of word characters, of addresses without a domain, of brackets)', () => {
		// With patterns that backtracked across the text, each of these would take minutes, not milliseconds.
		const n = 200_000;
		const inputs = ['a'.repeat(n), 'a+'.repeat(n / 2), 'a@'.repeat(n / 2), 'a@b'.repeat(n / 3), `https://x.org/${')'.repeat(n)}`, `${'a.'.repeat(n / 2)}@`, 'www'.repeat(n / 3), '@'.repeat(n), `x@${'b-'.repeat(n / 2)}`];
		for (const text of inputs) expect(joined(linkify(text, opts))).toBe(text);
		expect(links(`https://x.org/${')'.repeat(10)}`)[0].text).toBe('https://x.org/');
	});
});
