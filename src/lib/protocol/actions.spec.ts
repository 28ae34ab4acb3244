import { describe, expect, it } from 'vitest';
import { isSingleEmoji, messagesReactRequest, snippetOf } from './actions';

describe('isSingleEmoji', () => {
	it.each(['👍', '❤️', '❤', '😂', '👍🏽', '👩‍👩‍👧‍👦', '🏳️‍🌈', '🇫🇷', '1️⃣', '#️⃣', '©️', '🫠'])('takes %s', (e) => {
		expect(isSingleEmoji(e)).toBe(true);
	});
	it.each(['', 'a', 'ab', '1', '#', '©', '™', '👍👍', '👍 ', ' 👍', 'ok👍', '🇫', '<b>', '\u200d', '\ufe0f', 'x'.repeat(40)])('refuses %j', (e) => {
		expect(isSingleEmoji(e)).toBe(false);
	});
});

describe('messagesReactRequest', () => {
	it('names the field and says what an emoji is', () => {
		const result = messagesReactRequest.safeParse({ threadId: 't', seq: 1, emoji: 'lol' });
		expect(result.success).toBe(false);
		expect(result.error?.issues[0].path).toEqual(['emoji']);
		expect(result.error?.issues[0].message).toMatch(/exactly one emoji/);
	});
});

describe('snippetOf', () => {
	it('keeps short text and cuts long text at 120 code points', () => {
		expect(snippetOf('hello')).toBe('hello');
		const long = '😀'.repeat(200);
		expect([...snippetOf(long)].length).toBe(120);
		expect(snippetOf(long).endsWith('…')).toBe(true);
	});
});
