import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanGate } from '../../server/chat/search/mysql-pool.js';
import { backendNames } from '../helpers/backends.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// docs/ARCHITECTURE.md, "Search": MariaDB's LIKE scan is used only while `messages` fits in the buffer
// pool. A test database's table (a few pages) fits in any pool; the other databases never scan.
describe.each(backendNames())('search scan gate on %s', (backend) => {
	let t: TestParley;
	beforeAll(async () => {
		t = await startParley(backend);
	});
	afterAll(async () => t?.stop());

	it('lets the scan through on MariaDB while the table fits, never elsewhere, and never when turned off', async () => {
		const gate = new ScanGate(t.parley.db.db);
		expect(await gate.scanBelow(10_000)).toBe(backend === 'mysql' ? 10_000 : 0);
		expect(await gate.scanBelow(0)).toBe(0);
	});
});
