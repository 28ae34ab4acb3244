import { describe, expect, it } from 'vitest';
import { completeMention, mentionAt, mentionedNames, mentions } from './mentions';

describe('mentionedNames', () => {
	it('finds @names at the start, after spaces and punctuation, lower-cased, each once', () => {
		expect(mentionedNames('@Alice hi (@bob_2) and @ALICE, @carol-x')).toEqual(['alice', 'bob_2', 'carol-x']);
	});
	it('gives a name with trailing sentence punctuation both ways', () => {
		expect(mentionedNames('thanks @bob.')).toEqual(['bob.', 'bob']);
		expect(mentionedNames('@jo.smith!')).toEqual(['jo.smith']);
	});
	it('ignores e-mail addresses, a bare @ and @@', () => {
		expect(mentionedNames('write to bob@example.org or @ or @@x')).toEqual([]);
	});
	it('finds @everyone like any name', () => {
		expect(mentionedNames('@everyone meeting at 5')).toEqual(['everyone']);
	});
});

describe('mentions', () => {
	it('matches the username in any case, and @everyone unless told not to', () => {
		expect(mentions('hey @BOB', 'bob')).toBe(true);
		expect(mentions('hey @bobby', 'bob')).toBe(false);
		expect(mentions('@everyone look', 'bob')).toBe(true);
		expect(mentions('@everyone look', 'bob', false)).toBe(false);
	});
});

describe('mentionAt and completeMention', () => {
	it('finds the @word ending at the caret, empty right after the @', () => {
		expect(mentionAt('hi @al', 6)).toEqual({ start: 3, query: 'al' });
		expect(mentionAt('hi @', 4)).toEqual({ start: 3, query: '' });
		expect(mentionAt('hi @al there', 12)).toBeNull();
		expect(mentionAt('mail a@b', 8)).toBeNull();
	});
	it('completes the word under the caret, with a space unless one or punctuation follows', () => {
		expect(completeMention('hi @al', 3, 6, 'alice')).toEqual({ text: 'hi @alice ', caret: 10 });
		expect(completeMention('hi @al, ok', 3, 6, 'alice')).toEqual({ text: 'hi @alice, ok', caret: 9 });
		expect(completeMention('@a x', 0, 2, 'anna')).toEqual({ text: '@anna x', caret: 5 });
		expect(completeMention('@anxyz', 0, 3, 'anna')).toEqual({ text: '@anna ', caret: 6 });
	});
});
