// A Parley process for benchmarks: `server/main.ts` without the build (no web app) and with the
// per-user send limit lifted, since the load generators send far faster than any person (the limit
// is a guard against abuse, not part of the message path being measured). Configured by the
// environment as main.ts is, CHAT_PROCESSES included (its chat processes run this file too); reports
// its port and the pids of every process it runs over IPC ({ ready: port, pids }) once listening and,
// with chat processes, once they are registered; closes on SIGTERM or when its parent goes away.
//
//   fork('bench/lib/parley-node.ts', { execArgv: ['--import', 'tsx'], env: { DATABASE_URL, ROLES, ... } })
import { createParley } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { configureLogging, log } from '../../server/logger.js';
import { chatProcessPlan } from '../../server/processes/plan.js';
import { ChatProcesses } from '../../server/processes/supervisor.js';

let config = loadConfig(process.env);
const plan = chatProcessPlan(config);
if (plan?.parent) config = loadConfig({ ...process.env, ...plan.parent });
if (plan && !plan.parent) throw new Error('bench node: CHAT_PROCESSES needs another role here (the gateway hands out the tickets)');
configureLogging({ level: config.logLevel });
const parley = await createParley({ config, chatLimits: { sendsPerWindow: 1_000_000_000 } });
const port = await parley.listen();
log.info(`bench node ${config.nodeId} (${config.roles.join(', ')}) on ${port}`);
const children = plan ? ChatProcesses.start({ children: plan.children, script: process.argv[1], execArgv: process.execArgv, env: process.env, log: log.child('processes') }) : undefined;
if (plan) {
	// Ready when the gateway can hand out every chat process.
	for (;;) {
		const body = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { nodes?: unknown[] };
		if ((body.nodes?.length ?? 0) >= plan.children.length) break;
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

let closing = false;
async function close(): Promise<void> {
	if (closing) return;
	closing = true;
	setTimeout(() => process.exit(1), 10_000).unref();
	await Promise.all([children?.stop(8_000), parley.close().catch((error) => log.error('close failed', error))]);
	process.exit(0);
}
process.on('SIGTERM', () => void close());
process.on('SIGINT', () => void close());
process.on('disconnect', () => void close());
process.send?.({ ready: port, pids: [process.pid, ...(children?.pids() ?? [])] });
