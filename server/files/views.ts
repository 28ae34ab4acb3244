import type { FileInfo, FileRef } from '../../src/lib/protocol/index.js';
import type { Q } from './files.repository.js';
import * as repo from './files.repository.js';

/** Files as the protocol shows them. */

export function toFileRef(row: repo.FileRow): FileRef {
	const ref: FileRef = { id: row.id, name: row.name, size: Number(row.size), type: row.type };
	if (row.width !== null && row.height !== null) {
		ref.width = Number(row.width);
		ref.height = Number(row.height);
	}
	if (Boolean(row.has_thumb)) ref.thumbnail = true;
	return ref;
}

/** `chats`: where the viewer sent the file (`repo.chatsOf`), read only for the viewer's own files. */
export function toFileInfo(row: repo.ListedFileRow, viewerId: string, chats: repo.ChatOfFile[] = []): FileInfo {
	const info: FileInfo = {
		id: row.id,
		name: row.name,
		size: Number(row.size),
		type: row.type,
		sha256: row.sha256,
		threadId: row.thread_id,
		owner: { id: row.owner_id, username: row.owner_username, displayName: row.owner_display_name },
		direction: row.owner_id === viewerId ? 'sent' : 'received',
		thumbnail: Boolean(row.has_thumb),
		createdAt: row.created_at
	};
	if (row.width !== null && row.height !== null) {
		info.width = Number(row.width);
		info.height = Number(row.height);
	}
	if (row.owner_id === viewerId) {
		info.sentTo = chats.map((c) => ({
			threadId: c.threadId,
			kind: c.kind === 'group' ? 'group' : 'private',
			name: (c.kind === 'group' ? c.title : c.peerName) ?? 'a chat'
		}));
	}
	return info;
}

/**
 * The current refs of the files these messages carry, by file id. A file that was deleted is not in
 * the map; `toMessage` then shows it as `{id, deleted: true}`.
 */
export async function fileRefsOf(db: Q, rows: ReadonlyArray<{ file_id: string | null }>): Promise<Map<string, FileRef>> {
	const ids = [...new Set(rows.map((r) => r.file_id).filter((id): id is string => id !== null))];
	const found = await repo.findByIds(db, ids);
	return new Map([...found].map(([id, row]) => [id, toFileRef(row)]));
}
