import type { Kysely } from 'kysely';
import { accountRoutes } from '../account/account.handlers.js';
import { AccountService, type AccountDeps } from '../account/account.service.js';
import { authRoutes } from '../auth/auth.handlers.js';
import type { AuthService } from '../auth/auth.service.js';
import type { LimiterStore } from '../auth/limiters.js';
import { profileRoutes } from '../auth/profile.handlers.js';
import { createLimiter, type AuthLimits } from '../auth/rate-limits.js';
import type { Database } from '../db/schema.js';
import { devicesRoutes } from '../devices/devices.handlers.js';
import { DevicesService } from '../devices/devices.service.js';
import type { Route } from '../http/http.js';
import type { Logger } from '../logger.js';

export interface GatewayRoutesOptions extends Pick<AccountDeps, 'emitter' | 'threads' | 'files'> {
	db: Kysely<Database>;
	auth: AuthService;
	store: LimiterStore;
	limits: AuthLimits;
	secureCookies: boolean;
	sessionDays: number;
	/** Announces a changed name, bio or picture to the user's devices and friends. */
	profileChanged: (userId: string) => void;
	log: Logger;
}

/**
 * The gateway's account routes: sign-up, sign-in and sessions (`/api/auth`), the profile (`/api/me`),
 * Settings > Devices and the password change (`/api/sessions`), and deleting the account.
 */
export function gatewayRoutes(options: GatewayRoutesOptions): Route[] {
	const { db, auth, store, limits, secureCookies, log } = options;
	// Wrong current passwords (Devices' password change, the account's deletion) are counted with
	// sign-in's numbers (10 in 15 minutes by default).
	const wrongPasswords = (name: string, message: string) =>
		createLimiter({ ...store, name, points: limits.loginFailuresPerAccountAndIp, durationSeconds: limits.loginWindowSeconds, message });
	const devices = new DevicesService({
		db,
		sessionsEnded: (ids, reason) => options.emitter()?.endSessions(ids, reason),
		passwordFailures: wrongPasswords('password-change-session', 'too many wrong current passwords from this session'),
		log: log.child('devices')
	});
	const account = new AccountService({
		db,
		failures: wrongPasswords('account-delete', 'too many wrong passwords for this account from your address'),
		emitter: options.emitter,
		threads: options.threads,
		files: options.files,
		log: log.child('account')
	});
	return [
		...authRoutes({ auth, secureCookies, sessionDays: options.sessionDays }),
		...profileRoutes({ auth, db, profileChanged: options.profileChanged, log: log.child('profile') }),
		...devicesRoutes({ auth, devices, secureCookies }),
		...accountRoutes({ auth, account, secureCookies })
	];
}
