/** Reading one environment variable each, every refusal a `ConfigError` naming the variable. */

export class ConfigError extends Error {
	constructor(variable: string, problem: string) {
		super(`config: ${variable} ${problem}`);
		this.name = 'ConfigError';
	}
}

export type Env = Record<string, string | undefined>;

export interface SendRate {
	readonly points: number;
	readonly seconds: number;
}

const RATE_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** `30/10s`, `600/1m`, `100/s`: so many in so long (s, m or h). */
export function rate(env: Env, name: string, fallback: SendRate): SendRate {
	const raw = env[name]?.trim();
	if (!raw) return fallback;
	const match = /^(\d+)\s*\/\s*(\d*)\s*(s|m|h)$/i.exec(raw);
	const points = Number(match?.[1]);
	const seconds = Number(match?.[2] || 1) * RATE_UNITS[match?.[3]?.toLowerCase() ?? ''];
	if (!match || points < 1 || points > 1_000_000_000 || !(seconds >= 1 && seconds <= 86_400)) {
		throw new ConfigError(name, `must be a count per time such as 30/10s, 600/1m or 100/s (1 s to 24 h), got "${raw}"`);
	}
	return Object.freeze({ points, seconds });
}

export function int(env: Env, name: string, fallback: number, min: number, max: number): number {
	const raw = env[name]?.trim();
	if (!raw) return fallback;
	if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
	const value = Number(raw);
	if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
	return value;
}

export function url(name: string, raw: string, protocols: string[]): string {
	let parsed: URL;
	try {
		parsed = new URL(raw);
	} catch {
		throw new ConfigError(name, `is not a URL: "${raw}"`);
	}
	if (!protocols.includes(parsed.protocol)) {
		throw new ConfigError(name, `must start with ${protocols.join(' or ')}, got "${parsed.protocol}"`);
	}
	return raw;
}

export function bool(env: Env, name: string): boolean {
	const raw = env[name]?.trim().toLowerCase();
	if (!raw) return false;
	if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
	if (['0', 'false', 'no', 'off'].includes(raw)) return false;
	throw new ConfigError(name, `must be true or false, got "${env[name]}"`);
}

export function optional(env: Env, name: string): string | undefined {
	const raw = env[name]?.trim();
	return raw ? raw : undefined;
}

export function ip(env: Env, name: string, fallback: string | undefined): string | undefined {
	const raw = optional(env, name) ?? fallback;
	if (raw !== undefined && !/^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+)$/.test(raw)) throw new ConfigError(name, `must be an IPv4 or IPv6 address, got "${raw}"`);
	return raw;
}
