import type { Migration } from 'kysely';
import * as accounts from './20261126_0001_accounts.js';
import * as chat from './20261127_0002_chat.js';
import * as nodeLeases from './20261129_0004_node_leases.js';
import * as files from './20261129_0005_files.js';
import * as avatars from './20261130_0006_avatars.js';
import * as groups from './20261206_0007_groups.js';
import * as mentions from './20261206_0008_mentions.js';
import * as groupSend from './20261206_0009_group_send.js';
import * as messageActions from './20261207_0010_message_actions.js';
import * as search from './20261207_0011_search.js';
import * as notifications from './20261207_0012_notifications.js';
import * as blocks from './20261207_0013_blocks.js';
import * as messageFiles from './20261207_0014_message_files.js';
import * as unreadIndex from './20261208_0001_unread_index.js';
import * as callLineReceipts from './20261208_0002_call_line_receipts.js';
import * as streamKeys from './20261209_0005_stream_keys.js';
import * as liveLineReceipts from './20261209_0006_live_line_receipts.js';
import * as sessionLastSeen from './20261210_0001_session_last_seen.js';
import * as accountDeletion from './20261210_0002_account_deletion.js';

/**
 * Every migration, by name (names sort in the order they run). Listed here rather than read from the
 * folder so the bundled server carries them.
 */
export const migrations: Record<string, Migration> = {
	'20261126_0001_accounts': accounts,
	'20261127_0002_chat': chat,
	'20261129_0004_node_leases': nodeLeases,
	'20261129_0005_files': files,
	'20261130_0006_avatars': avatars,
	'20261206_0007_groups': groups,
	'20261206_0008_mentions': mentions,
	'20261206_0009_group_send': groupSend,
	'20261207_0010_message_actions': messageActions,
	'20261207_0011_search': search,
	'20261207_0012_notifications': notifications,
	'20261207_0013_blocks': blocks,
	'20261207_0014_message_files': messageFiles,
	'20261208_0001_unread_index': unreadIndex,
	'20261208_0002_call_line_receipts': callLineReceipts,
	'20261209_0005_stream_keys': streamKeys,
	'20261209_0006_live_line_receipts': liveLineReceipts,
	'20261210_0001_session_last_seen': sessionLastSeen,
	'20261210_0002_account_deletion': accountDeletion
};
