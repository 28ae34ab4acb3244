// A Parley process for benchmarks: `server/main.ts` without the build (no web app) and with the
// per-user send limit lifted, since the load generators send far faster than any person (the limit
// is a guard against abuse, not part of the message path being measured). Configured by the
// environment as main.ts is; reports its port over IPC ({ ready: port }) when listening, and closes
// on SIGTERM or when its parent goes away.
//
//   fork('bench/lib/parley-node.ts', { execArgv: ['--import', 'tsx'], env: { DATABASE_URL, ROLES, ... } })
import { createParley } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { configureLogging, log } from '../../server/logger.js';

const config = loadConfig(process.env);
configureLogging({ level: config.logLevel });
const parley = await createParley({ config, chatLimits: { sendsPerWindow: 1_000_000_000 } });
const port = await parley.listen();
log.info(`bench node ${config.nodeId} (${config.roles.join(', ')}) on ${port}`);

let closing = false;
async function close(): Promise<void> {
	if (closing) return;
	closing = true;
	setTimeout(() => process.exit(1), 10_000).unref();
	await parley.close().catch((error) => log.error('close failed', error));
	process.exit(0);
}
process.on('SIGTERM', () => void close());
process.on('SIGINT', () => void close());
process.on('disconnect', () => void close());
process.send?.({ ready: port });
