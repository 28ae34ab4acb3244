import { filesListQuery, type FilesListResponse } from '../../src/lib/protocol/index.js';
import { requireSession } from '../auth/auth.handlers.js';
import type { AuthService } from '../auth/auth.service.js';
import type { Route } from '../http/http.js';
import { validate } from '../validate.js';
import type { FilesService } from './files.service.js';

/** `GET /api/files` and `DELETE /api/files/{id}` (PROTOCOL.md section 3). */
export function filesRoutes({ auth, files }: { auth: AuthService; files: FilesService }): Route[] {
	return [
		{
			method: 'GET',
			path: '/api/files',
			handler: async (ctx) => {
				const session = await requireSession(auth, ctx);
				const query = validate(filesListQuery, Object.fromEntries(ctx.url.searchParams));
				return { status: 200, body: (await files.list(session.user.id, query)) satisfies FilesListResponse };
			}
		},
		{
			method: 'DELETE',
			path: '/api/files/:id',
			handler: async (ctx) => {
				const session = await requireSession(auth, ctx);
				await files.remove(session.user.id, ctx.params.id);
				return { status: 204 };
			}
		}
	];
}
