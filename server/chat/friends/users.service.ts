import type { Kysely } from 'kysely';
import { CHAT_LIMITS, type Relationship, type UserCard } from '../../../src/lib/protocol/index.js';
import type { Database } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import type { ChatEmitter } from '../node/emitter.js';
import * as friendsRepo from './friends.repository.js';
import type { PresenceStore } from '../presence/presence.store.js';
import * as repo from './users.repository.js';
import { toCard } from '../views.js';

export interface UsersDeps {
	db: Kysely<Database>;
	presence: PresenceStore;
	emitter: ChatEmitter;
}

/**
 * People as one user sees them: cards with the relationship from the viewer's side. Whether someone is
 * online is shown to their friends (and to themself) only: strangers learn nothing from a search.
 */
export class UsersService {
	constructor(private readonly deps: UsersDeps) {}

	/** Cards of these rows as `viewerId` sees them, by id. */
	async cards(viewerId: string, rows: Iterable<repo.CardRow>): Promise<Map<string, UserCard>> {
		const list = [...rows];
		const relations = await friendsRepo.relationsWith(
			this.deps.db,
			viewerId,
			list.map((r) => r.id)
		);
		const shown = list.filter((r) => r.id === viewerId || relations.friends.has(r.id)).map((r) => r.id);
		return cardsAs(viewerId, list, relations, await this.deps.presence.onlineAmong(shown));
	}

	/**
	 * The cards of `userIds` as each of `viewerIds` sees them (a group's members, for each member): a
	 * few queries whatever the numbers, not a round of them per viewer.
	 */
	async cardsForViewers(viewerIds: string[], userIds: string[]): Promise<Map<string, Map<string, UserCard>>> {
		const [rows, relations, online] = await Promise.all([
			repo.findCards(this.deps.db, userIds),
			friendsRepo.relationsAmong(this.deps.db, viewerIds, userIds),
			this.deps.presence.onlineAmong([...new Set(userIds)])
		]);
		const out = new Map<string, Map<string, UserCard>>();
		for (const viewerId of viewerIds) out.set(viewerId, cardsAs(viewerId, rows.values(), relations.get(viewerId)!, online));
		return out;
	}

	/** Which of these users are online (for a group's member list, where everyone sees everyone's). */
	onlineAmong(userIds: string[]): Promise<Set<string>> {
		return this.deps.presence.onlineAmong([...new Set(userIds)]);
	}

	async cardsById(viewerId: string, userIds: string[]): Promise<Map<string, UserCard>> {
		return this.cards(viewerId, (await repo.findCards(this.deps.db, userIds)).values());
	}

	/** The viewer's own card. */
	async me(userId: string): Promise<UserCard> {
		const card = (await this.cardsById(userId, [userId])).get(userId);
		if (!card) throw new AppError('not_found', `user "${userId}" not found`);
		return card;
	}

	/** Prefix search on username and display name, ignoring case, never the viewer. */
	async search(viewerId: string, input: { query: string; limit?: number }): Promise<UserCard[]> {
		const rows = await repo.searchByPrefix(this.deps.db, {
			prefix: input.query.toLowerCase(),
			excludeId: viewerId,
			limit: input.limit ?? CHAT_LIMITS.searchDefault
		});
		const cards = await this.cards(viewerId, rows);
		return rows.map((r) => cards.get(r.id)!);
	}

	/** Tells the user's devices and their friends that a name or bio changed. */
	async profileChanged(userId: string): Promise<void> {
		const row = await repo.findCard(this.deps.db, userId);
		if (!row) return;
		const friendIds = await friendsRepo.friendIdsOf(this.deps.db, userId);
		const online = (await this.deps.presence.onlineAmong([userId])).has(userId);
		this.deps.emitter.toUsers([userId], 'user:updated', { user: toCard(row, 'self', online) });
		this.deps.emitter.toUsers(friendIds, 'user:updated', { user: toCard(row, 'friend', online) });
	}
}

/** Cards as one viewer sees them: online shown to friends and to oneself only. */
function cardsAs(viewerId: string, rows: Iterable<repo.CardRow>, relations: friendsRepo.Relations, online: ReadonlySet<string>): Map<string, UserCard> {
	const out = new Map<string, UserCard>();
	for (const row of rows) {
		const relationship: Relationship =
			row.id === viewerId
				? 'self'
				: relations.friends.has(row.id)
					? 'friend'
					: relations.incoming.has(row.id)
						? 'incoming'
						: relations.outgoing.has(row.id)
							? 'outgoing'
							: 'none';
		const shown = row.id === viewerId || relations.friends.has(row.id);
		out.set(row.id, toCard(row, relationship, shown ? online.has(row.id) : undefined));
	}
	return out;
}
