import { randomBytes } from 'node:crypto';
import type { KeyValueStore } from '../../kv/kv.js';

export interface TicketClaims {
	sessionId: string;
	userId: string;
	/** In a cluster: the node the ticket was handed out for, and the connection reserved there. */
	node?: string;
	reservation?: string;
}

export const TICKET_TTL_MS = 60_000;

/**
 * Single-use tickets that let a browser open a socket on a chat node. Kept in the key-value store, so
 * with Redis a ticket made by any gateway is good on any node; redeeming deletes it atomically.
 */
export class Tickets {
	constructor(private readonly kv: KeyValueStore) {}

	async issue(claims: TicketClaims): Promise<string> {
		const ticket = randomBytes(24).toString('base64url');
		await this.kv.set(`ticket:${ticket}`, JSON.stringify(claims), TICKET_TTL_MS);
		return ticket;
	}

	/** The ticket's claims, or null when it is unknown, expired or already used. */
	async redeem(ticket: string): Promise<TicketClaims | null> {
		if (typeof ticket !== 'string' || ticket.length === 0 || ticket.length > 128) return null;
		const raw = await this.kv.take(`ticket:${ticket}`);
		return raw ? (JSON.parse(raw) as TicketClaims) : null;
	}
}
