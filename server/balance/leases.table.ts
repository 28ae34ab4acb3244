/** A chat node's claim on the database it uses (see migrations/20261129_0004_node_leases.ts). */
export interface NodeLeasesTable {
	/** `chat` (the one node without Redis) or `chat:<nodeId>` (a node of a Redis cluster). */
	name: string;
	node_id: string;
	mode: 'alone' | 'cluster';
	url: string;
	started_at: string;
	/** The lease is dead once this time has passed: the holder renews it every heartbeat. */
	expires_at: string;
}
