import { describe, expect, it } from 'vitest';
import type { MemberCard, Thread } from '$lib/protocol';
import { mentionOptions, stepActive } from './mentionCompletion.svelte';

const member = (id: string, username: string, displayName: string, role: MemberCard['role'] = 'member'): MemberCard => ({ id, username, displayName, role }) as MemberCard;

const group = (myRole: Thread['myRole']): Thread =>
	({
		id: 'g',
		kind: 'group',
		members: [member('me', 'me', 'Me Myself', myRole), member('b', 'bob', 'Bob Brown'), member('c', 'carol', 'Carol Evans')],
		myRole,
		lastSeq: 0,
		lastMessage: null
	}) as unknown as Thread;

const usernames = (options: { username: string }[]) => options.map((o) => o.username);

describe('mentionOptions', () => {
	it('offers the other members whose name starts with what was typed', () => {
		expect(usernames(mentionOptions(group('member'), { start: 0, query: '' }, 'me', null))).toEqual(['bob', 'carol']);
		expect(usernames(mentionOptions(group('member'), { start: 0, query: 'ev' }, 'me', null))).toEqual(['carol']);
	});

	it('offers @everyone to owners and admins only', () => {
		expect(usernames(mentionOptions(group('admin'), { start: 0, query: 'e' }, 'me', null))).toContain('everyone');
		expect(usernames(mentionOptions(group('owner'), { start: 0, query: 'EVERY' }, 'me', null))).toContain('everyone');
		expect(usernames(mentionOptions(group('member'), { start: 0, query: 'e' }, 'me', null))).not.toContain('everyone');
	});

	it('offers nothing without an `@` being typed, without a thread, or once dismissed there', () => {
		expect(mentionOptions(group('owner'), null, 'me', null)).toEqual([]);
		expect(mentionOptions(undefined, { start: 0, query: '' }, 'me', null)).toEqual([]);
		expect(mentionOptions(group('owner'), { start: 4, query: '' }, 'me', 4)).toEqual([]);
		expect(mentionOptions(group('owner'), { start: 9, query: '' }, 'me', 4).length).toBeGreaterThan(0);
	});
});

describe('stepActive', () => {
	it('moves down and up, going round at either end', () => {
		expect(stepActive(0, 'ArrowDown', 3)).toBe(1);
		expect(stepActive(2, 'ArrowDown', 3)).toBe(0);
		expect(stepActive(0, 'ArrowUp', 3)).toBe(2);
		expect(stepActive(1, 'ArrowUp', 3)).toBe(0);
	});
});
