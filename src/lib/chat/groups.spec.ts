import { describe, expect, it } from 'vitest';
import type { MemberCard, Message, Thread } from '$lib/protocol';
import { applyGroupStatus, canChangeRoles, lastReadOwn, canManage, canRemove, lowestOfOthers, mentionAt, mentionCandidates, mentions, namesFromSystemLines, readByCount, sortMembers, threadName } from './groups';

const member = (id: string, role: MemberCard['role'], readSeq = 0, deliveredSeq = readSeq): MemberCard => ({
	id,
	username: id,
	displayName: `${id[0].toUpperCase()}${id.slice(1)} Person`,
	bio: '',
	avatarUrl: null,
	relationship: id === 'me' ? 'self' : 'friend',
	role,
	readSeq,
	deliveredSeq
});

function group(members: MemberCard[]): Thread {
	return {
		id: 'g',
		kind: 'group',
		members,
		title: 'Hikers',
		topic: '',
		avatarUrl: null,
		memberCount: members.length,
		myRole: 'owner',
		lastSeq: 10,
		lastMessage: null,
		unread: 0,
		readSeq: 10,
		deliveredSeq: 10,
		peerReadSeq: 0,
		peerDeliveredSeq: 0,
		updatedAt: '2026-01-01T00:00:00.000Z'
	};
}

describe('roles', () => {
	it('follow the protocol: the owner does all, admins remove members, members nothing', () => {
		expect(canManage('owner') && canManage('admin') && !canManage('member')).toBe(true);
		expect([canRemove('owner', 'admin'), canRemove('owner', 'member'), canRemove('owner', 'owner')]).toEqual([true, true, false]);
		expect([canRemove('admin', 'member'), canRemove('admin', 'admin'), canRemove('admin', 'owner')]).toEqual([true, false, false]);
		expect(canRemove('member', 'member')).toBe(false);
		expect([canChangeRoles('owner'), canChangeRoles('admin'), canChangeRoles('member')]).toEqual([true, false, false]);
	});
});

describe('receipts', () => {
	it('moves a member on message:status and the lowest of the others with it', () => {
		const t = group([member('me', 'owner', 10), member('bob', 'member', 3, 5), member('cat', 'admin', 4, 6)]);
		expect(lowestOfOthers(t.members, 'me')).toEqual({ readSeq: 3, deliveredSeq: 5 });
		applyGroupStatus(t, { threadId: 'g', userId: 'bob', readSeq: 8, deliveredSeq: 8 }, 'me');
		expect(t.members[1]).toMatchObject({ readSeq: 8, deliveredSeq: 8 });
		expect([t.peerReadSeq, t.peerDeliveredSeq]).toEqual([4, 6]);
		// Never backwards.
		applyGroupStatus(t, { threadId: 'g', userId: 'bob', readSeq: 2, deliveredSeq: 2 }, 'me');
		expect(t.members[1]).toMatchObject({ readSeq: 8, deliveredSeq: 8 });
	});

	it('keeps the server\'s lowest when it holds only part of a big group', () => {
		const t = { ...group([member('me', 'owner', 10), member('bob', 'member', 9)]), memberCount: 300, peerReadSeq: 1 };
		applyGroupStatus(t, { threadId: 'g', userId: 'bob', readSeq: 10, deliveredSeq: 10 }, 'me');
		expect(t.peerReadSeq).toBe(1);
	});

	it('puts "Read by N" under the newest own message someone read', () => {
		const msg = (seq: number, senderId: string, kind: Message['kind'] = 'text'): Message => ({ id: `m${seq}`, threadId: 'g', seq, senderId, clientId: `c${seq}`, kind, createdAt: '' });
		const messages = [msg(1, 'me', 'system'), msg(2, 'me'), msg(3, 'bob'), msg(4, 'me'), msg(5, 'me')];
		const members = [member('me', 'owner', 5), member('bob', 'member', 4), member('cat', 'member', 2)];
		expect(lastReadOwn(messages, members, 'me')).toEqual({ seq: 4, count: 1 });
		expect(lastReadOwn(messages, [member('me', 'owner', 5), member('bob', 'member', 1)], 'me')).toBeNull();
	});

	it('counts who of the others read up to a seq', () => {
		const members = [member('me', 'owner', 10), member('bob', 'member', 7), member('cat', 'member', 5), member('dan', 'member', 0)];
		expect([readByCount(members, 5, 'me'), readByCount(members, 6, 'me'), readByCount(members, 8, 'me')]).toEqual([2, 1, 0]);
	});
});

describe('names and order', () => {
	it('remembers the names system lines gave people', () => {
		const line = (seq: number, system: NonNullable<Message['system']>): Message => ({ id: `s${seq}`, threadId: 'g', seq, senderId: system.actor.id, clientId: `s${seq}`, kind: 'system', system, createdAt: '' });
		const names = namesFromSystemLines([
			line(1, { type: 'created', actor: { id: 'a', name: 'Alice' }, title: 'T', users: [{ id: 'b', name: 'Bob' }] }),
			line(2, { type: 'left', actor: { id: 'c', name: 'Carol' } })
		]);
		expect([...names]).toEqual([['a', 'Alice'], ['b', 'Bob'], ['c', 'Carol']]);
	});

	it('names a group by its title and a pair by the peer', () => {
		expect(threadName({ kind: 'group', title: 'Hikers' }, undefined)).toBe('Hikers');
		expect(threadName({ kind: 'private' }, member('bob', undefined))).toBe('Bob Person');
	});

	it('lists you first, then the owner, admins and members by name', () => {
		const sorted = sortMembers([member('zed', 'member'), member('amy', 'member'), member('cat', 'admin'), member('me', 'member'), member('own', 'owner')], 'me');
		expect(sorted.map((m) => m.id)).toEqual(['me', 'own', 'cat', 'amy', 'zed']);
	});
});

describe('mentions', () => {
	it('finds @username and @everyone, not email addresses', () => {
		expect(mentions('hey @Bob, look', 'bob')).toBe(true);
		expect(mentions('@everyone meeting', 'bob')).toBe(true);
		expect(mentions('mail bob@example.org', 'bob')).toBe(false);
		expect(mentions('@bobby hi', 'bob')).toBe(false);
		expect(mentions('see @bob.', 'bob')).toBe(true);
		// @everyone counts only from an owner or admin.
		expect(mentions('@everyone meeting', 'bob', false)).toBe(false);
		expect(mentions('@everyone and @bob', 'bob', false)).toBe(true);
	});

	it('sees the @ being typed before the caret, and the members it may mean', () => {
		expect(mentionAt('hello @bo', 9)).toEqual({ start: 6, query: 'bo' });
		expect(mentionAt('@', 1)).toEqual({ start: 0, query: '' });
		expect(mentionAt('mail a@b', 8)).toBeNull();
		expect(mentionAt('hello @bo there', 15)).toBeNull();
		const members = [member('me', 'owner'), member('bob', 'member'), member('bea', 'member'), member('cat', 'member')];
		expect(mentionCandidates(members, 'b', 'me').map((m) => m.id)).toEqual(['bob', 'bea']);
		expect(mentionCandidates(members, '', 'me').map((m) => m.id)).toEqual(['bob', 'bea', 'cat']);
	});
});
