import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { NodeLeasesTable } from './leases.table.js';

export type LeaseRow = NodeLeasesTable;

export const ALONE = 'chat';
export const clusterLease = (nodeId: string) => `chat:${nodeId}`;

export async function findLease(db: Kysely<Database>, name: string): Promise<LeaseRow | undefined> {
	return db.selectFrom('node_leases').selectAll().where('name', '=', name).executeTakeFirst();
}

/** Live leases of cluster nodes (names `chat:…`), other than `exceptName`. */
export async function liveClusterLeases(db: Kysely<Database>, now: string, exceptName?: string): Promise<LeaseRow[]> {
	let query = db.selectFrom('node_leases').selectAll().where('mode', '=', 'cluster').where('expires_at', '>', now);
	if (exceptName) query = query.where('name', '<>', exceptName);
	return query.orderBy('started_at').execute();
}

export async function insertLease(db: Kysely<Database>, row: LeaseRow): Promise<void> {
	await db.insertInto('node_leases').values(row).execute();
}

/** Takes over `previous` only if nobody changed it since it was read (compare and set). */
export async function takeOver(db: Kysely<Database>, previous: LeaseRow, next: LeaseRow): Promise<boolean> {
	const result = await db
		.updateTable('node_leases')
		.set({ node_id: next.node_id, mode: next.mode, url: next.url, started_at: next.started_at, expires_at: next.expires_at })
		.where('name', '=', previous.name)
		.where('node_id', '=', previous.node_id)
		.where('expires_at', '=', previous.expires_at)
		.executeTakeFirst();
	return Number(result.numUpdatedRows) === 1;
}

/** Pushes the holder's expiry forward; false when the lease is no longer this node's. */
export async function renewLease(db: Kysely<Database>, name: string, nodeId: string, expiresAt: string): Promise<boolean> {
	const result = await db.updateTable('node_leases').set({ expires_at: expiresAt }).where('name', '=', name).where('node_id', '=', nodeId).executeTakeFirst();
	return Number(result.numUpdatedRows) === 1;
}

export async function deleteLease(db: Kysely<Database>, name: string, nodeId: string): Promise<void> {
	await db.deleteFrom('node_leases').where('name', '=', name).where('node_id', '=', nodeId).execute();
}
