import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { newId, nowIso } from '../db/ids.js';
import { isUniqueViolation } from '../db/database.js';

type Q = Kysely<Database> | Transaction<Database>;

export const endpointHash = (endpoint: string) => createHash('sha256').update(endpoint).digest('hex');

export interface SubscriptionRow {
	id: string;
	user_id: string;
	endpoint: string;
	p256dh: string;
	auth: string;
	hide_previews: number;
}

/**
 * Stores a subscription for `userId`, or updates the one with the same endpoint (a browser subscribing
 * again; or, after a sign-in as someone else on the same browser, moves it to them: one browser, one
 * owner).
 */
export async function upsertSubscription(db: Q, s: { userId: string; endpoint: string; p256dh: string; auth: string; label: string; hidePreviews: boolean }): Promise<void> {
	const hash = endpointHash(s.endpoint);
	const fields = { user_id: s.userId, p256dh: s.p256dh, auth: s.auth, label: s.label, hide_previews: s.hidePreviews ? 1 : 0 };
	const update = () => db.updateTable('push_subscriptions').set(fields).where('endpoint_hash', '=', hash).executeTakeFirst();
	if (Number((await update()).numUpdatedRows) > 0) return;
	try {
		await db
			.insertInto('push_subscriptions')
			.values({ id: newId(), endpoint: s.endpoint, endpoint_hash: hash, created_at: nowIso(), ...fields })
			.execute();
	} catch (error) {
		// Two subscribes of one browser at once: the other made the row; ours updates it.
		if (!isUniqueViolation(error)) throw error;
		await update();
	}
}

/** Removes `userId`'s subscription of this endpoint; false when they had none. */
export async function deleteSubscription(db: Q, userId: string, endpoint: string): Promise<boolean> {
	const result = await db.deleteFrom('push_subscriptions').where('endpoint_hash', '=', endpointHash(endpoint)).where('user_id', '=', userId).executeTakeFirst();
	return Number(result.numDeletedRows) > 0;
}

/** Removes a subscription the push service says is gone (404, 410). */
export async function deleteById(db: Q, id: string): Promise<void> {
	await db.deleteFrom('push_subscriptions').where('id', '=', id).execute();
}

/** The subscriptions of these users. */
export async function subscriptionsOf(db: Q, userIds: readonly string[]): Promise<SubscriptionRow[]> {
	if (userIds.length === 0) return [];
	return db.selectFrom('push_subscriptions').select(['id', 'user_id', 'endpoint', 'p256dh', 'auth', 'hide_previews']).where('user_id', 'in', [...userIds]).execute();
}

/** Of these members of the thread, those who have it muted at `now`. */
export async function mutedAmong(db: Q, threadId: string, userIds: readonly string[], now: string): Promise<Set<string>> {
	if (userIds.length === 0) return new Set();
	const rows = await db
		.selectFrom('thread_members')
		.select('user_id')
		.where('thread_id', '=', threadId)
		.where('user_id', 'in', [...userIds])
		.where('muted_until', '>', now)
		.execute();
	return new Set(rows.map((r) => r.user_id));
}
