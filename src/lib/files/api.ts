import { request } from '$lib/api';
import { downloadUrl, thumbnailUrl, type FileSort, type FilesListResponse } from '$lib/protocol';

export { downloadUrl, thumbnailUrl };

/** `GET /api/files`: a page of the files you sent and received. */
export function listFiles(query: { sort: FileSort; order: 'asc' | 'desc'; q?: string; cursor?: string | null; limit?: number }, signal?: AbortSignal): Promise<FilesListResponse> {
	const params = new URLSearchParams({ sort: query.sort, order: query.order });
	if (query.q) params.set('q', query.q);
	if (query.cursor) params.set('cursor', query.cursor);
	if (query.limit) params.set('limit', String(query.limit));
	return request<FilesListResponse>('GET', `/api/files?${params}`, { signal });
}

/** `DELETE /api/files/{id}`: only for your own files. */
export function deleteFile(fileId: string): Promise<void> {
	return request<void>('DELETE', `/api/files/${encodeURIComponent(fileId)}`);
}
