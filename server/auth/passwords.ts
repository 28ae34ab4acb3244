import { hash, verify } from '@node-rs/argon2';

// OWASP's argon2id parameters. @node-rs/argon2 defaults to argon2id; its `Algorithm` enum is an
// ambient const enum that cannot be imported under verbatimModuleSyntax, so it is left at the default.
const PARAMS = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
	return hash(password, PARAMS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
	try {
		return await verify(passwordHash, password);
	} catch {
		return false;
	}
}

let dummy: Promise<string> | undefined;
/** Spends the same time as a real check, so a missing account and a wrong password look alike. */
export async function verifyAgainstDummy(password: string): Promise<void> {
	dummy ??= hashPassword('parley-dummy-password');
	await verifyPassword(await dummy, password);
}
