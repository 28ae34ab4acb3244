import { z } from 'zod';
import { idOf } from './chat-base';
import { hasControlCharacters } from './text';

/**
 * Groups (docs/PROTOCOL.md, "Groups"): threads of kind `group`, their roles, the requests that change
 * them and the system lines those changes leave in the conversation. The thread and message shapes are
 * in chat.ts; this module imports nothing of it, so the two do not import each other.
 */

export const GROUP_LIMITS = {
	/** Code points of a group's title (after trimming). */
	titleMax: 100,
	/** Code points of a group's topic. */
	topicMax: 500,
	/** People one `groups:create` or `groups:add` may name. The member limit itself is the server's `GROUP_MAX_MEMBERS`. */
	idsMax: 256,
	/** The default `GROUP_MAX_MEMBERS`. */
	membersDefault: 256
} as const;

export type GroupRole = 'owner' | 'admin' | 'member';
export type ThreadKind = 'private' | 'group';

/** Why a thread left someone's list (`thread:removed`). */
export type ThreadRemovedReason = 'left' | 'removed' | 'closed';

/** A person as a system line names them: their display name when the line was written. */
export interface SystemPerson {
	id: string;
	name: string;
}

/**
 * What a message of kind `system` records (a membership change, a rename, a new topic or picture).
 * `actor` did it; the line keeps the names as they were, so it reads the same after a rename or after
 * the people left.
 */
export type SystemEvent =
	| { type: 'created'; actor: SystemPerson; title: string; users: SystemPerson[] }
	| { type: 'added'; actor: SystemPerson; users: SystemPerson[] }
	| { type: 'removed'; actor: SystemPerson; users: SystemPerson[] }
	| { type: 'left'; actor: SystemPerson }
	| { type: 'title'; actor: SystemPerson; title: string }
	| { type: 'topic'; actor: SystemPerson; topic: string }
	| { type: 'avatar'; actor: SystemPerson }
	| { type: 'role'; actor: SystemPerson; users: SystemPerson[]; role: GroupRole };

function names(people: SystemPerson[]): string {
	const all = people.map((p) => p.name);
	if (all.length <= 1) return all.join('');
	return `${all.slice(0, -1).join(', ')} and ${all.at(-1)}`;
}

/** The system line for people: "Alice added Bob and Carol". */
export function systemLine(event: SystemEvent): string {
	const who = event.actor.name;
	switch (event.type) {
		case 'created':
			return event.users.length > 0 ? `${who} created the group “${event.title}” with ${names(event.users)}` : `${who} created the group “${event.title}”`;
		case 'added':
			return `${who} added ${names(event.users)}`;
		case 'removed':
			return `${who} removed ${names(event.users)}`;
		case 'left':
			return `${who} left the group`;
		case 'title':
			return `${who} renamed the group “${event.title}”`;
		case 'topic':
			return event.topic ? `${who} set the topic: ${event.topic}` : `${who} cleared the topic`;
		case 'avatar':
			return `${who} changed the group picture`;
		case 'role':
			if (event.role === 'owner') return `${who} made ${names(event.users)} the owner`;
			return event.role === 'admin' ? `${who} made ${names(event.users)} an admin` : `${who} made ${names(event.users)} a member`;
	}
}

const person = z.strictObject({ id: z.string(), name: z.string() });
const systemSchema = z.discriminatedUnion('type', [
	z.strictObject({ type: z.literal('created'), actor: person, title: z.string(), users: z.array(person) }),
	z.strictObject({ type: z.literal('added'), actor: person, users: z.array(person) }),
	z.strictObject({ type: z.literal('removed'), actor: person, users: z.array(person) }),
	z.strictObject({ type: z.literal('left'), actor: person }),
	z.strictObject({ type: z.literal('title'), actor: person, title: z.string() }),
	z.strictObject({ type: z.literal('topic'), actor: person, topic: z.string() }),
	z.strictObject({ type: z.literal('avatar'), actor: person }),
	z.strictObject({ type: z.literal('role'), actor: person, users: z.array(person), role: z.enum(['owner', 'admin', 'member']) })
]);

/** Reads the stored form of a system line (the JSON of a `SystemEvent`); null when it is not one. */
export function parseSystemEvent(text: string | null | undefined): SystemEvent | null {
	if (!text) return null;
	try {
		const parsed = systemSchema.safeParse(JSON.parse(text));
		return parsed.success ? (parsed.data as SystemEvent) : null;
	} catch {
		return null;
	}
}

// ---- request schemas -------------------------------------------------------------------------

const ids = (what: string, min: number) =>
	z
		.array(idOf(`${what}[]`), { message: `${what} must be a list of user ids` })
		.min(min, { message: `${what} must name at least ${min} ${min === 1 ? 'person' : 'people'}` })
		.max(GROUP_LIMITS.idsMax, { message: `${what} has at most ${GROUP_LIMITS.idsMax} ids` });

const codePoints = (s: string) => [...s].length;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** 1 to 100 code points after trimming; no control characters. */
export const groupTitleSchema = z
	.string({ message: 'title must be a string' })
	.max(GROUP_LIMITS.titleMax * 8, { message: `title is at most ${GROUP_LIMITS.titleMax} characters` })
	.trim()
	.min(1, { message: 'title must not be empty' })
	.refine((s) => codePoints(s) <= GROUP_LIMITS.titleMax, { message: `title is at most ${GROUP_LIMITS.titleMax} characters` })
	.refine((s) => !hasControlCharacters(s), { message: 'title must not contain control characters' })
	.refine((s) => !LONE_SURROGATE.test(s), { message: 'title is not well-formed Unicode' });

/** 0 to 500 code points after trimming (empty clears it); line breaks and tabs allowed. */
export const groupTopicSchema = z
	.string({ message: 'topic must be a string' })
	.max(GROUP_LIMITS.topicMax * 8, { message: `topic is at most ${GROUP_LIMITS.topicMax} characters` })
	.trim()
	.refine((s) => codePoints(s) <= GROUP_LIMITS.topicMax, { message: `topic is at most ${GROUP_LIMITS.topicMax} characters` })
	.refine((s) => !hasControlCharacters(s, '\t\n'), { message: 'topic must not contain control characters' })
	.refine((s) => !LONE_SURROGATE.test(s), { message: 'topic is not well-formed Unicode' });

export const groupsCreateRequest = z.strictObject({
	title: groupTitleSchema,
	memberIds: ids('memberIds', 1),
	topic: groupTopicSchema.optional()
});

export const groupsAddRequest = z.strictObject({ threadId: idOf('threadId'), userIds: ids('userIds', 1) });

export const groupsRemoveRequest = z.strictObject({ threadId: idOf('threadId'), userId: idOf('userId') });

export const groupsLeaveRequest = z.strictObject({ threadId: idOf('threadId') });

export const groupsUpdateRequest = z
	.strictObject({ threadId: idOf('threadId'), title: groupTitleSchema.optional(), topic: groupTopicSchema.optional() })
	.refine((r) => r.title !== undefined || r.topic !== undefined, { message: 'give title, topic or both', path: ['title'] });

export const groupsRoleRequest = z.strictObject({
	threadId: idOf('threadId'),
	userId: idOf('userId'),
	role: z.enum(['owner', 'admin', 'member'], { message: 'role must be owner, admin or member' })
});

export const messagesReadersRequest = z.strictObject({
	threadId: idOf('threadId'),
	seq: z
		.int({ message: 'seq must be a whole number' })
		.min(1, { message: 'seq is at least 1' })
		.max(2_147_483_647, { message: 'seq is at most 2147483647' })
});

export type GroupsCreateRequest = z.input<typeof groupsCreateRequest>;
export type GroupsAddRequest = z.input<typeof groupsAddRequest>;
export type GroupsRemoveRequest = z.input<typeof groupsRemoveRequest>;
export type GroupsLeaveRequest = z.input<typeof groupsLeaveRequest>;
export type GroupsUpdateRequest = z.input<typeof groupsUpdateRequest>;
export type GroupsRoleRequest = z.input<typeof groupsRoleRequest>;
export type MessagesReadersRequest = z.input<typeof messagesReadersRequest>;

/** `thread:removed`: the thread is gone from your list; drop it and its messages. */
export interface ThreadRemovedEvent {
	threadId: string;
	reason: ThreadRemovedReason;
}
