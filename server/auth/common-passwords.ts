import { dictionary } from '@zxcvbn-ts/language-common';
import { LIMITS, passwordIdentityProblem } from '../../src/lib/protocol/index.js';

/**
 * NIST SP 800-63B (5.1.1.2) asks that a new password be checked against a list of commonly used ones.
 * The list is zxcvbn's (about 49,000 entries, all lower case, most frequent first); only entries the
 * length rule would let through are kept, lower-cased, in a Set built once on first use (about 18,000).
 * Kept on the server: bundled into the page it would add about 370 KB.
 */
let common: Set<string> | undefined;

/** Whether the password, ignoring case, is on the list of the commonest passwords. */
export function isCommonPassword(password: string): boolean {
	common ??= new Set(dictionary['passwords-common'].filter((p) => p.length >= LIMITS.passwordMin).map((p) => p.toLowerCase()));
	return common.has(password.toLowerCase());
}

/**
 * What is wrong with a new password beyond its length, or null: the account's own username or email
 * (`passwordIdentityProblem`), or one of the commonest passwords. The message is shown beside the field,
 * for `invalid_input`'s `fields.password`.
 * @param context.username the account's username, when known (default: not compared)
 * @param context.email the account's email, when known (default: not compared)
 */
export function passwordProblem(password: string, context: { username?: string; email?: string } = {}): string | null {
	return passwordIdentityProblem(password, context) ?? (isCommonPassword(password) ? 'this is one of the most common passwords; choose another' : null);
}
