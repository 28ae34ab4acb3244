import { accountDeleteRequest } from '../../src/lib/protocol/index.js';
import { requireSession } from '../auth/auth.handlers.js';
import type { AuthService } from '../auth/auth.service.js';
import { clearedSessionCookie } from '../auth/sessions.js';
import type { Route } from '../http/http.js';
import { validate } from '../validate.js';
import type { AccountService } from './account.service.js';

/** `DELETE /api/me {password}` → 204, the session cookie cleared (docs/PROTOCOL.md, "Deleting the account"). */
export function accountRoutes({ auth, account, secureCookies }: { auth: AuthService; account: AccountService; secureCookies: boolean }): Route[] {
	return [
		{
			method: 'DELETE',
			path: '/api/me',
			handler: async (ctx) => {
				const session = await requireSession(auth, ctx);
				const { password } = validate(accountDeleteRequest, await ctx.json());
				await account.delete(session.user.id, password, ctx.ip);
				return { status: 204, headers: { 'set-cookie': clearedSessionCookie(secureCookies) } };
			}
		}
	];
}
