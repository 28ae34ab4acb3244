import type { NodeRegistry } from '../balance/registry.js';
import type { Config } from '../config.js';
import type { RtmpStatus } from '../media/rtmp/index.js';
import type { Route } from './http.js';

/** What `/healthz` reads at each request: the process's parts, which come and go as it starts and stops. */
export interface HealthState {
	draining(): boolean;
	/** This chat node's open sockets; undefined without the chat role. */
	connections(): number | undefined;
	/** The media role's status; undefined where it does not run. */
	media(): Promise<unknown> | undefined;
	rtmp(): RtmpStatus | null;
}

/**
 * `GET /healthz`: the node's id, roles and state; in a cluster its load, and on a gateway the live
 * chat nodes it picks from. A draining process answers 503, so a proxy's health check stops sending
 * it traffic.
 */
export function healthRoute(config: Pick<Config, 'nodeId' | 'roles'>, registry: NodeRegistry | undefined, state: HealthState): Route {
	return {
		method: 'GET',
		path: '/healthz',
		handler: async () => {
			const draining = state.draining();
			const body: Record<string, unknown> = { status: draining ? 'draining' : 'ok', nodeId: config.nodeId, roles: [...config.roles] };
			const connections = state.connections();
			if (registry && connections !== undefined) body.connections = connections;
			if (config.roles.includes('chat') || config.roles.includes('media')) body.media = (await state.media()) ?? 'unavailable';
			const rtmp = state.rtmp();
			if (rtmp) body.rtmp = rtmp.rtmp;
			if (registry && config.roles.includes('gateway')) {
				body.nodes = (await registry.list()).filter((n) => n.alive).map(({ id, url, connections, draining, startedAt }) => ({ id, url, connections, draining, startedAt }));
			}
			return { status: draining ? 503 : 200, body };
		}
	};
}
