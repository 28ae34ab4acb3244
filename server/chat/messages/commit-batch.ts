import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { isUniqueViolation } from '../../db/database.js';
import { retryTransaction } from '../../db/transactions.js';
import type { Logger } from '../../logger.js';
import { clientKey, findByClientIds, insertBatch, insertBatchAtOnce, type BatchResult } from './batch.repository.js';
import { insertsAtOnce, type MessageRow, type NewMessageRow } from './messages.repository.js';

/**
 * The (sender, clientId) of a message is already stored (or is the same as an earlier message's in the
 * same batch): the sender gets the first message back, as for any resend. `first` is it when known.
 */
export class DuplicateClientId extends Error {
	constructor(readonly first: MessageRow | undefined) {
		super('this clientId is already stored');
	}
}

interface Entry {
	row: NewMessageRow;
	resolve(row: MessageRow): void;
	reject(error: unknown): void;
}

export interface CommitBatchOptions {
	db: Kysely<Database>;
	log: Logger;
	/** Messages per transaction at most. Default 256. */
	maxBatch?: number;
}

/**
 * Group commit of private-thread sends (issue 15). Messages handed over in one event-loop turn, and
 * those that arrive while the previous batch commits, are stored together: in ONE transaction on SQLite
 * and MariaDB (one WAL commit instead of one per message), one statement on PostgreSQL (one round trip,
 * one WAL flush). Each message still gets its gapless seq, is stored once per (sender, clientId), and
 * its promise settles only after the commit, so nothing is acked that a crash could lose. One batch is
 * in flight at a time: under load the next one grows while this one commits, which is the point.
 * A duplicate clientId fails only its own message (DuplicateClientId); any other error that one
 * message causes is confined to it by storing the rest of its batch one by one.
 */
export class CommitBatch {
	private queue: Entry[] = [];
	private scheduled = false;
	private busy = false;
	private readonly maxBatch: number;

	constructor(private readonly options: CommitBatchOptions) {
		this.maxBatch = options.maxBatch ?? 256;
	}

	/** Stores `row` with the next batch and resolves with it, seq set, once that batch has committed. */
	store(row: NewMessageRow): Promise<MessageRow> {
		return new Promise((resolve, reject) => {
			this.queue.push({ row, resolve, reject });
			this.schedule();
		});
	}

	private schedule(): void {
		if (this.scheduled || this.busy || this.queue.length === 0) return;
		this.scheduled = true;
		// After this turn's I/O callbacks and their promise chains: every send that reached here in
		// this turn joins the batch.
		setImmediate(() => {
			this.scheduled = false;
			this.busy = true;
			const batch = this.queue.splice(0, this.maxBatch);
			this.run(batch)
				.catch((error) => {
					for (const e of batch) e.reject(error);
				})
				.finally(() => {
					this.busy = false;
					this.schedule();
				});
		});
	}

	private async run(batch: Entry[]): Promise<void> {
		// The same (sender, clientId) twice in one batch (a quick resend): the later ones get the first.
		const firsts = new Map<string, Entry>();
		const later: { entry: Entry; first: Entry }[] = [];
		for (const entry of batch) {
			const first = firsts.get(clientKey(entry.row));
			if (first) later.push({ entry, first });
			else firsts.set(clientKey(entry.row), entry);
		}
		for (const { entry, first } of later) {
			const { resolve, reject } = first;
			first.resolve = (row) => {
				resolve(row);
				entry.reject(new DuplicateClientId(row));
			};
			first.reject = (error) => {
				reject(error);
				entry.reject(error);
			};
		}
		await this.write([...firsts.values()]);
	}

	/** Writes `entries` (no two with one clientId) and settles each. */
	private async write(entries: Entry[]): Promise<void> {
		const { db, log } = this.options;
		let pending = entries;
		while (pending.length > 0) {
			try {
				const rows = pending.map((e) => e.row);
				const result = await retryTransaction(() => writeBatch(db, rows), { log, what: `store a batch of ${rows.length} messages` });
				pending.forEach((e, i) => (result[i] ? e.resolve(result[i]) : e.reject(new Error(`thread "${e.row.thread_id}" vanished while sending`))));
				return;
			} catch (error) {
				if (pending.length === 1 && !isUniqueViolation(error)) {
					pending[0].reject(error);
					return;
				}
				if (isUniqueViolation(error)) {
					// Stored since the sender's look-up (another node, another batch): those get the first
					// message; the batch goes again without them.
					const stored = await findByClientIds(db, pending.map((e) => e.row));
					if (stored.size > 0) {
						for (const e of pending) if (stored.has(clientKey(e.row))) e.reject(new DuplicateClientId(stored.get(clientKey(e.row))));
						pending = pending.filter((e) => !stored.has(clientKey(e.row)));
						continue;
					}
					if (pending.length === 1) {
						pending[0].reject(error);
						return;
					}
				}
				// Something in one message fails the whole batch: each alone, so only that one fails.
				log.debug(`a batch of ${pending.length} messages failed (${(error as Error).message}); storing them one by one`);
				for (const e of pending) await this.write([e]);
				return;
			}
		}
	}
}

/** One batch, all or nothing: one statement on PostgreSQL, one transaction elsewhere. */
export function writeBatch(db: Kysely<Database>, rows: NewMessageRow[]): Promise<BatchResult> {
	if (insertsAtOnce(db)) return insertBatchAtOnce(db, rows);
	return db.transaction().execute((trx) => insertBatch(trx, rows));
}
