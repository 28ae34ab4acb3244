/**
 * Row types of every table, as kysely sees them. Ids are app-made strings (see `ids.ts`); times are
 * ISO 8601 UTC strings of fixed width, so they sort and compare as text on every dialect.
 */
import type { UsersTable, SessionsTable } from '../auth/auth.table.js';
import type { FriendRequestsTable, FriendshipsTable, UserSearchColumns } from '../chat/friends/friends.table.js';
import type { MentionsTable, MessageEditsTable, MessagesTable, ReactionsTable } from '../chat/messages/messages.table.js';
import type { ThreadMembersTable, ThreadsTable } from '../chat/conversations/threads.table.js';
import type { FilesTable } from '../files/files.table.js';
import type { NodeLeasesTable } from '../balance/leases.table.js';
import type { BlocksTable } from '../chat/blocks/blocks.table.js';
import type { PushSubscriptionsTable } from '../push/push.table.js';
import type { StreamKeysTable } from '../live/keys/keys.table.js';

export interface Database {
	users: UsersTable & UserSearchColumns;
	sessions: SessionsTable;
	friend_requests: FriendRequestsTable;
	friendships: FriendshipsTable;
	threads: ThreadsTable;
	thread_members: ThreadMembersTable;
	messages: MessagesTable;
	mentions: MentionsTable;
	message_edits: MessageEditsTable;
	reactions: ReactionsTable;
	node_leases: NodeLeasesTable;
	files: FilesTable;
	blocks: BlocksTable;
	push_subscriptions: PushSubscriptionsTable;
	stream_keys: StreamKeysTable;
}
