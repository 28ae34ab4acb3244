import { passwordChangeRequest, type SessionsEndedResponse, type SessionsResponse } from '../../src/lib/protocol/index.js';
import { requireSession } from '../auth/auth.handlers.js';
import type { AuthService } from '../auth/auth.service.js';
import { clearedSessionCookie } from '../auth/sessions.js';
import type { Route } from '../http/http.js';
import { validate } from '../validate.js';
import type { DevicesService } from './devices.service.js';

/** `GET /api/sessions`, `DELETE /api/sessions/:id`, `POST /api/sessions/end-others`, `POST /api/auth/password`. */
export function devicesRoutes({ auth, devices, secureCookies }: { auth: AuthService; devices: DevicesService; secureCookies: boolean }): Route[] {
	return [
		{
			method: 'GET',
			path: '/api/sessions',
			handler: async (ctx) => {
				const session = await requireSession(auth, ctx);
				return { status: 200, body: { sessions: await devices.list(session) } satisfies SessionsResponse };
			}
		},
		{
			method: 'DELETE',
			path: '/api/sessions/:id',
			handler: async (ctx) => {
				const session = await requireSession(auth, ctx);
				const { current } = await devices.end(session, ctx.params.id);
				return current ? { status: 204, headers: { 'set-cookie': clearedSessionCookie(secureCookies) } } : { status: 204 };
			}
		},
		{
			method: 'POST',
			path: '/api/sessions/end-others',
			handler: async (ctx) => {
				const session = await requireSession(auth, ctx);
				return { status: 200, body: { ended: await devices.endOthers(session) } satisfies SessionsEndedResponse };
			}
		},
		{
			method: 'POST',
			path: '/api/auth/password',
			handler: async (ctx) => {
				const session = await requireSession(auth, ctx);
				const input = validate(passwordChangeRequest, await ctx.json());
				return { status: 200, body: { ended: await devices.changePassword(session, input) } satisfies SessionsEndedResponse };
			}
		}
	];
}
