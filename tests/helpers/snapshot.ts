import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { TestParley } from './parley.js';

/**
 * Every table of the server's database as `table: rows hash (count)`, to show that a refused request
 * changed nothing (but when a session was last seen). Rows are compared as JSON, sorted, so the backend's row order does not matter.
 */
export async function snapshot(t: TestParley): Promise<Record<string, string>> {
	const db = t.parley.db.db;
	// `node_leases` is the node's own heartbeat, renewed on a timer whatever the requests.
	const tables = (await db.introspection.getTables()).map((table) => table.name).filter((name) => name !== 'node_leases').sort();
	const out: Record<string, string> = {};
	for (const name of tables) {
		const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db);
		// A session's `last_seen_at` is written by any request of it, at most once a minute (server/devices/last-seen.ts).
		if (name === 'sessions') for (const row of rows) delete row.last_seen_at;
		const lines = rows.map((row) => JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? String(v) : v instanceof Date ? v.toISOString() : Buffer.isBuffer(v) ? v.toString('hex') : v))).sort();
		out[name] = `${createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16)} (${rows.length})`;
	}
	return out;
}
