import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createParley, type Parley, type WebHandler } from './app.js';
import { StartRefused } from './balance/leases.service.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { configureLogging, log } from './logger.js';
import { chatProcessPlan } from './processes/plan.js';
import { ChatProcesses, watchParent } from './processes/supervisor.js';

// The one place that reads the environment: `.env` (if present) under the real environment.
if (fs.existsSync('.env')) process.loadEnvFile('.env');

function readConfig(env: NodeJS.ProcessEnv): Config {
	try {
		return loadConfig(env);
	} catch (error) {
		if (error instanceof ConfigError) {
			console.error(error.message);
			process.exit(78); // EX_CONFIG
		}
		throw error;
	}
}

let config = readConfig(process.env);
// CHAT_PROCESSES=N: the chat role goes to N child processes; this one keeps the others (if any).
const plan = chatProcessPlan(config);
if (plan?.parent) config = readConfig({ ...process.env, ...plan.parent });
configureLogging({ level: config.logLevel });

// SIGTERM or SIGINT (or, in a chat process, its parent gone): drain (stop taking connections and being
// handed out, move the clients to other nodes, finish what is in flight), then close and exit 0; the
// chat processes drain at the same time. A second signal skips the rest of the wait.
let stopping = false;
let skipWait: (() => void) | undefined;
let started = false;
let parley: Parley | undefined;
let chatProcesses: ChatProcesses | undefined;
function stop(why: string): void {
	if (stopping) {
		log.warn(`${why} again: closing without waiting for clients`);
		skipWait?.();
		void chatProcesses?.stop(5_000);
		return;
	}
	stopping = true;
	if (!started) {
		log.info(`${why} while starting: exiting`);
		process.exit(0);
	}
	log.info(`${why}: draining (up to ${config.drainTimeoutMs} ms), then closing`);
	const force = setTimeout(() => {
		log.error('still not closed long after the drain: exiting');
		process.exit(1);
	}, config.drainTimeoutMs + 15_000).unref();
	const skipped = new Promise<void>((resolve) => (skipWait = resolve));
	Promise.all([chatProcesses?.stop(config.drainTimeoutMs + 10_000), parley && Promise.race([parley.drain(), skipped]).then(() => parley!.close())])
		.then(() => {
			clearTimeout(force);
			log.info('closed');
			process.exit(0);
		})
		.catch((error) => {
			log.error('close failed', error);
			process.exit(1);
		});
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stop(signal));
// First thing: a parent that dies while this process is still starting must stop it too.
watchParent(() => stop('the parent process is gone'));

/** The web app built by SvelteKit's adapter-node, beside this file in build/. */
async function loadWeb(): Promise<WebHandler | undefined> {
	const here = path.dirname(fileURLToPath(import.meta.url));
	const handlerFile = path.join(here, 'handler.js');
	if (!fs.existsSync(handlerFile)) {
		log.warn(`no web app at ${handlerFile}: serving the API only (run \`npm run build\`)`);
		return undefined;
	}
	const { handler } = (await import(pathToFileURL(handlerFile).href)) as { handler: WebHandler };
	return handler;
}

if (!plan || plan.parent) {
	try {
		parley = await createParley({ config, web: config.roles.includes('gateway') ? await loadWeb() : undefined });
	} catch (error) {
		// Another node holds what this one needs (the database's lease, this NODE_ID): say so, no stack.
		if (error instanceof StartRefused) {
			log.error(`not starting: ${error.message}`);
			process.exit(75); // EX_TEMPFAIL
		}
		throw error;
	}
	const port = await parley.listen();
	log.info(`Parley ${config.nodeId} (${config.roles.join(', ')}) listening on http://${config.host}:${port}, public URL ${config.publicUrl}`);
}
// After this process's start: it has run the migrations the children would otherwise race to run.
chatProcesses = plan ? ChatProcesses.start({ children: plan.children, script: process.argv[1], execArgv: process.execArgv, env: process.env, log: log.child('processes') }) : undefined;

started = true;
