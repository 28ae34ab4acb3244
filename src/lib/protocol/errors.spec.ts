import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_STATUS } from './errors';

const protocol = fs.readFileSync(new URL('../../../docs/PROTOCOL.md', import.meta.url), 'utf8');

/** `code -> status` from PROTOCOL.md's "Error codes" table (a row may name two codes). */
function documentedCodes(): Record<string, number> {
	const table = protocol.slice(protocol.indexOf('### Error codes'), protocol.indexOf('## 1.'));
	const out: Record<string, number> = {};
	for (const row of table.split('\n').filter((line) => /^\| `/.test(line))) {
		const [codes, status] = row.split('|').slice(1, 3);
		for (const [, code] of codes.matchAll(/`([a-z_]+)`/g)) out[code] = Number(status.trim());
	}
	return out;
}

// The contract's closed list of codes is the doc's table; the code's union must be the same list.
describe('error codes', () => {
	it('PROTOCOL.md lists every code the server can answer, with its status, and no other', () => {
		expect(documentedCodes()).toEqual({ ...ERROR_STATUS });
	});

	it('PROTOCOL.md names the code a wrong method gets', () => {
		expect(protocol).toMatch(/wrong method is 405 with `Allow` and code `method_not_allowed`/);
	});
});
