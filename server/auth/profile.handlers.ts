import type { Kysely } from 'kysely';
import { profileUpdateRequest, type ProfileResponse } from '../../src/lib/protocol/index.js';
import type { Database } from '../db/schema.js';
import { nowIso } from '../db/ids.js';
import { AppError } from '../errors.js';
import type { Route } from '../http/http.js';
import type { Logger } from '../logger.js';
import { validate } from '../validate.js';
import { requireSession } from './auth.handlers.js';
import type { AuthService } from './auth.service.js';
import * as repo from './profile.repository.js';

export interface ProfileHandlerOptions {
	auth: AuthService;
	db: Kysely<Database>;
	/** Told after a change, so friends' and the user's other devices can update their cards. */
	profileChanged?: (userId: string) => void;
	log: Logger;
}

/** `PATCH /api/me {displayName?, bio?}` → 200 `{user}` (with bio). */
export function profileRoutes({ auth, db, profileChanged, log }: ProfileHandlerOptions): Route[] {
	return [
		{
			method: 'PATCH',
			path: '/api/me',
			handler: async (ctx) => {
				const session = await requireSession(auth, ctx);
				const input = validate(profileUpdateRequest, await ctx.json());
				await repo.updateProfile(db, session.user.id, input, nowIso());
				const row = await repo.findProfile(db, session.user.id);
				if (!row) throw new AppError('not_found', `user "${session.user.id}" not found`);
				log.with({ user: row.id }).debug('profile changed');
				profileChanged?.(row.id);
				const body: ProfileResponse = { user: repo.toProfile(row) };
				return { status: 200, body };
			}
		}
	];
}
