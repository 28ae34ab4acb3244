import type { Config } from '../config.js';

export interface ChatNode {
	nodeId: string;
	url: string;
}

/** Picks the chat node a user should connect to. */
export interface Balancer {
	/** The least-loaded live chat node, or null when none is alive. */
	pick(): Promise<ChatNode | null>;
}

/**
 * The one-process balancer: this process, when it runs the chat role. The Redis registry of the
 * cluster issue replaces it when `REDIS_URL` is set.
 */
export function localBalancer(config: Pick<Config, 'roles' | 'nodeId' | 'publicUrl'>): Balancer {
	const self: ChatNode | null = config.roles.includes('chat') ? { nodeId: config.nodeId, url: config.publicUrl } : null;
	return { pick: async () => self };
}
