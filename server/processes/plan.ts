import type { Config } from '../config.js';

/** One chat process to start: its name (also its NODE_ID), where browsers reach it, its environment. */
export interface ChatProcessSpec {
	name: string;
	url: string;
	/** Set over the parent's environment. */
	env: Record<string, string>;
}

/** How `CHAT_PROCESSES=N` splits one process's roles. */
export interface ChatProcessPlan {
	/**
	 * Set over this process's environment before its config is read again: the roles it keeps and
	 * the chat processes' origins for its pages' CSP, and its NODE_ID (a default one is random: read
	 * again, it would no longer be the prefix of its children's). Null when it keeps no role (ROLES=chat): then it
	 * only supervises.
	 */
	parent: Record<string, string> | null;
	children: ChatProcessSpec[];
}

/**
 * Several chat nodes of the cluster on one machine, each in a process of its own, so the chat role
 * uses every core: a Node process runs its JavaScript on one. They are ordinary chat nodes (ROLES=chat,
 * a NODE_ID, a PUBLIC_URL on PORT+n) that register with the balancer over Redis like any other, so
 * the gateway hands each client one of them and socket.io needs no sticky sessions. Null when
 * `chatProcesses` is 1: this process keeps the chat role.
 */
export function chatProcessPlan(config: Pick<Config, 'chatProcesses' | 'chatProcessUrl' | 'roles' | 'port' | 'nodeId' | 'corsOrigins' | 'chatOrigins'>): ChatProcessPlan | null {
	if (config.chatProcesses <= 1) return null;
	const children = Array.from({ length: config.chatProcesses }, (_, i): ChatProcessSpec => {
		const port = config.port + 1 + i;
		const name = `${config.nodeId}-chat-${i + 1}`;
		const url = config.chatProcessUrl.replaceAll('{n}', String(i + 1)).replaceAll('{port}', String(port));
		return {
			name,
			url,
			env: {
				ROLES: 'chat',
				PORT: String(port),
				PUBLIC_URL: url,
				NODE_ID: name,
				// The app comes from this process's origin (or the origins it was told of).
				CORS_ORIGINS: config.corsOrigins.join(','),
				CHAT_PROCESSES: '1'
			}
		};
	});
	const kept = config.roles.filter((role) => role !== 'chat');
	const origins = [...new Set([...config.chatOrigins, ...children.map((c) => new URL(c.url).origin)])];
	return {
		parent: kept.length > 0 ? { ROLES: kept.join(','), NODE_ID: config.nodeId, CHAT_PROCESSES: '1', CHAT_ORIGINS: origins.join(',') } : null,
		children
	};
}
