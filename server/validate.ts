import type { z } from 'zod';
import { invalidInput } from './errors.js';

/**
 * Checks input against a schema at the edge. On failure throws `invalid_input` with one message per
 * field (the first problem of each), so a form can show it beside the field.
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
	const result = schema.safeParse(input);
	if (result.success) return result.data;
	// No prototype: a field named `__proto__`, `constructor` or `toString` is a key like any other
	// (on a plain object `fields[key] ??= …` would find the inherited member and name nothing).
	const fields: Record<string, string> = Object.create(null);
	for (const issue of result.error.issues) {
		const name = issue.path.length > 0 ? issue.path.join('.') : issue.code === 'unrecognized_keys' ? (issue.keys?.[0] ?? '_') : '_';
		if (issue.code === 'unrecognized_keys') {
			for (const key of issue.keys) fields[key] ??= 'is not a known field';
			continue;
		}
		fields[name] ??= issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
	}
	const first = Object.entries(fields)[0];
	throw invalidInput(fields, first ? `${first[0] === '_' ? 'input' : first[0]}: ${first[1]}` : 'input is not valid');
}
