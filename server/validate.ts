import type { z } from 'zod';
import { invalidInput } from './errors.js';

/**
 * Checks input against a schema at the edge. On failure throws `invalid_input` with one message per
 * field (the first problem of each), so a form can show it beside the field. A string that is not
 * well-formed UTF-16 (a lone surrogate, from `"\ud800"` in JSON) is refused too, naming its field:
 * stored, it would come back as U+FFFD, or break a database or a client that encodes it.
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
	const result = schema.safeParse(input);
	if (result.success) {
		const bad = firstIllFormedString(result.data);
		if (bad !== null) {
			const name = bad || '_';
			throw invalidInput({ [name]: 'is not valid Unicode text (it holds a lone surrogate)' }, `${bad || 'input'}: is not valid Unicode text`);
		}
		return result.data;
	}
	// No prototype: a field named `__proto__`, `constructor` or `toString` is a key like any other
	// (on a plain object `fields[key] ??= …` would find the inherited member and name nothing).
	const fields: Record<string, string> = Object.create(null);
	for (const issue of result.error.issues) {
		const name = issue.path.length > 0 ? issue.path.join('.') : issue.code === 'unrecognized_keys' ? (issue.keys?.[0] ?? '_') : '_';
		if (issue.code === 'unrecognized_keys') {
			for (const key of issue.keys) fields[key] ??= 'is not a known field';
			continue;
		}
		fields[name] ??= issue.code === 'invalid_type' && isMissing(input, issue.path) ? 'is required' : issue.message;
	}
	const first = Object.entries(fields)[0];
	throw invalidInput(fields, first ? `${first[0] === '_' ? 'input' : first[0]}: ${first[1]}` : 'input is not valid');
}

/**
 * Whether `path` names nothing in `input` (an absent key, or `undefined`), as opposed to a value of the
 * wrong type. zod 4 no longer puts the value in its issues, so this looks it up. Own keys only: a
 * missing `constructor` is missing, not `Object`.
 */
export function isMissing(input: unknown, path: readonly PropertyKey[]): boolean {
	let value: unknown = input;
	for (const key of path) {
		if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return true;
		value = (value as Record<PropertyKey, unknown>)[key];
	}
	return value === undefined;
}

/**
 * The dotted path of the first string (value or key) that is not well-formed UTF-16, `''` for the
 * input itself, or null when there is none. Walks with its own stack, so nesting cannot overflow it.
 */
export function firstIllFormedString(input: unknown): string | null {
	const stack: Array<{ value: unknown; path: string }> = [{ value: input, path: '' }];
	while (stack.length > 0) {
		const { value, path } = stack.pop()!;
		if (typeof value === 'string') {
			if (!value.isWellFormed()) return path;
		} else if (Array.isArray(value)) {
			for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: path ? `${path}.${i}` : String(i) });
		} else if (value !== null && typeof value === 'object' && isPlain(value)) {
			const entries = Object.entries(value);
			for (let i = entries.length - 1; i >= 0; i--) {
				const [key, child] = entries[i];
				const childPath = path ? `${path}.${key}` : key;
				if (!key.isWellFormed()) return childPath;
				stack.push({ value: child, path: childPath });
			}
		}
	}
	return null;
}

function isPlain(value: object): boolean {
	const proto = Object.getPrototypeOf(value);
	return proto === Object.prototype || proto === null;
}
