/**
 * True when `error` says the database could not be reached or is restarting, not that a query was
 * wrong: the socket refused, reset or timed out; PostgreSQL's connection exceptions (SQLSTATE class
 * 08), its shutdown and start-up refusals (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot
 * connect now), pg's own words for a connection that ended; MySQL's lost connection. A transaction
 * that failed so was rolled back; one whose commit reached the server before the connection went
 * was kept, and a resend by the same clientId finds it.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
	const e = error as { code?: unknown; message?: unknown } | null;
	if (!e || typeof e !== 'object') return false;
	const code = typeof e.code === 'string' ? e.code : '';
	if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'PROTOCOL_CONNECTION_LOST', '57P01', '57P02', '57P03'].includes(code)) return true;
	if (/^08[0-9A-Z]{3}$/.test(code)) return true;
	const message = typeof e.message === 'string' ? e.message : '';
	return /^(Connection terminated|Client has encountered a connection error|Connection ended unexpectedly)/.test(message);
}
