import type { Redis } from 'ioredis';
import type { AuthDeps } from './auth.service.js';
import { createLimiter, type AuthLimits } from './rate-limits.js';

/** Where limits are counted: Redis (shared by every gateway) when given, else this process. */
export interface LimiterStore {
	redis?: Redis;
	prefix: string;
}

/** Sign-in's, the codes', and the availability and password checks' limiters, with their messages. */
export function authLimiters(store: LimiterStore, limits: AuthLimits): AuthDeps['limits'] {
	const limiter = (name: string, points: number, durationSeconds: number, message: string) => createLimiter({ ...store, name, points, durationSeconds, message });
	return {
		loginAccountIp: limiter('login-account-ip', limits.loginFailuresPerAccountAndIp, limits.loginWindowSeconds, 'too many failed sign-ins to this account from your address'),
		loginIp: limiter('login-ip', limits.loginFailuresPerIp, limits.loginIpWindowSeconds, 'too many failed sign-ins from your address'),
		availabilityIp: limiter('availability-ip', limits.availabilityPerIpPerMinute, 60, 'too many availability checks from your address'),
		availabilityIpDay: limiter('availability-ip-day', limits.availabilityPerIpPerDay, 86_400, 'too many availability checks from your address today'),
		passwordCheckIp: limiter('password-check-ip', limits.passwordCheckPerIpPerMinute, 60, 'too many password checks from your address'),
		passwordCheckIpDay: limiter('password-check-ip-day', limits.passwordCheckPerIpPerDay, 86_400, 'too many password checks from your address today'),
		codesIp: limiter('codes-ip', limits.codesPerIp, 600, 'too many codes requested from your address')
	};
}
