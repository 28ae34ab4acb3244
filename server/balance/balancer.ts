import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { NodeRegistry } from './registry.js';

export interface ChatNode {
	nodeId: string;
	url: string;
	/** In a cluster: the connection reserved on the node for this ticket (see `NodeRegistry.pick`). */
	reservation?: string;
}

/** What the client tells the balancer about its last try. */
export interface PickOptions {
	/**
	 * The URL of a chat node the client just failed to connect to (extension: `POST
	 * /api/auth/chat-ticket {avoid}`). A crashed node counts as live until its heartbeat expires (3
	 * intervals), and would be named again meanwhile; with this hint any other live node comes first.
	 * Only a hint: if that node is the only one live, it is still named. Default: none.
	 */
	avoid?: string;
}

/** Picks the chat node a user should connect to. */
export interface Balancer {
	/** The least-loaded live chat node, or null when none is alive. */
	pick(options?: PickOptions): Promise<ChatNode | null>;
}

/**
 * The one-process balancer (no Redis): this process, when it runs the chat role and is not draining
 * (whatever the client asks to avoid: there is no other).
 * @param options.draining tells whether this process is stopping (default: never)
 */
export function localBalancer(config: Pick<Config, 'roles' | 'nodeId' | 'publicUrl'>, options: { draining?: () => boolean } = {}): Balancer {
	const self: ChatNode | null = config.roles.includes('chat') ? { nodeId: config.nodeId, url: config.publicUrl } : null;
	return { pick: async () => (options.draining?.() ? null : self) };
}

/**
 * The cluster's balancer: the least-loaded live, non-draining chat node of the Redis registry, ties
 * broken at random. Every gateway asks the same registry, atomically, so they agree; each pick
 * reserves a connection on the node until its next heartbeat reports the real count, so a burst of
 * logins spreads out instead of landing on the node that looked emptiest a moment ago.
 */
/**
 * How long a pick's reservation counts toward a node's load. A socket normally arrives within a
 * second of its ticket (then it is counted as a connection); a ticket that is never used (a client
 * that fetched one and went away) should not weigh on its node for the ticket's whole 60 s.
 */
export const RESERVATION_MS = 10_000;

export function registryBalancer(registry: NodeRegistry, log?: Logger): Balancer {
	return {
		async pick(options = {}) {
			let node;
			try {
				node = await registry.pick(RESERVATION_MS, { avoid: options.avoid });
			} catch (error) {
				// Redis out of reach: no node can be vouched for, which the client hears as 503 no_chat_node.
				log?.error('picking a chat node failed', error);
				return null;
			}
			return node ? { nodeId: node.id, url: node.url, reservation: node.reservation } : null;
		}
	};
}
