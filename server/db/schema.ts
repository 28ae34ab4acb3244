/**
 * Row types of every table, as kysely sees them. Ids are app-made strings (see `ids.ts`); times are
 * ISO 8601 UTC strings of fixed width, so they sort and compare as text on every dialect.
 */
import type { UsersTable, SessionsTable } from '../auth/auth.table.js';

export interface Database {
	users: UsersTable;
	sessions: SessionsTable;
}
