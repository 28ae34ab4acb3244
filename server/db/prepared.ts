import { CompiledQuery, type Compilable, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.js';

type Q = Kysely<Database> | Transaction<Database>;

/**
 * A query of the hot path that kysely builds and compiles once per dialect instead of on every run.
 * Building a query with the builder is most of what it costs in this process: on SQLite, where the
 * statement itself runs in microseconds, the send path's checks (messages/send-check.repository.ts) took
 * ~125 µs of CPU a call built each time and ~25 µs compiled once (issue 15). `build` is called once with
 * a stand-in string for each named parameter; every run then executes the same SQL text with the
 * values put where the stand-ins were. So the parameters must be strings that `build` only passes to
 * the builder as values (never looks at, compares or puts into the SQL text), and the query must not
 * depend on anything else that changes between runs. Result rows come as the driver gives them (no
 * plugins run, as none are installed: server/db/database.ts).
 */
export function prepared<Name extends string, Row>(build: (db: Q, params: Record<Name, string>) => Compilable<Row>): (db: Q, params: Record<Name, string>) => Promise<Row[]> {
	// Per dialect: the SQL text (quotes, placeholders) differs; the adapter's class tells them apart.
	const compiled = new Map<unknown, { sql: string; slots: Array<{ name: Name } | { value: unknown }> }>();
	const STAND_IN = '\u0000prepared:';
	return async (db, params) => {
		const dialect = db.getExecutor().adapter.constructor;
		let query = compiled.get(dialect);
		if (!query) {
			const standIns = Object.fromEntries(Object.keys(params).map((name) => [name, `${STAND_IN}${name}`])) as Record<Name, string>;
			const done = build(db, standIns).compile();
			const slots = done.parameters.map((value) => (typeof value === 'string' && value.startsWith(STAND_IN) ? { name: value.slice(STAND_IN.length) as Name } : { value }));
			compiled.set(dialect, (query = { sql: done.sql, slots }));
		}
		const values = query.slots.map((slot) => ('name' in slot ? params[slot.name] : slot.value));
		return (await db.executeQuery<Row>(CompiledQuery.raw(query.sql, values))).rows;
	};
}
