import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createParley, type WebHandler } from './app.js';
import { StartRefused } from './balance/leases.service.js';
import { ConfigError, loadConfig } from './config.js';
import { configureLogging, log } from './logger.js';

// The one place that reads the environment: `.env` (if present) under the real environment.
if (fs.existsSync('.env')) process.loadEnvFile('.env');

let config;
try {
	config = loadConfig(process.env);
} catch (error) {
	if (error instanceof ConfigError) {
		console.error(error.message);
		process.exit(78); // EX_CONFIG
	}
	throw error;
}
configureLogging({ level: config.logLevel });

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

let parley;
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

// SIGTERM or SIGINT: drain (stop taking connections and being handed out, move the clients to other
// nodes, finish what is in flight), then close and exit 0. A second signal skips the rest of the wait.
let stopping = false;
let skipWait: (() => void) | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.on(signal, () => {
		if (stopping) {
			log.warn(`${signal} again: closing without waiting for clients`);
			skipWait?.();
			return;
		}
		stopping = true;
		log.info(`${signal}: draining (up to ${config.drainTimeoutMs} ms), then closing`);
		const force = setTimeout(() => {
			log.error('still not closed long after the drain: exiting');
			process.exit(1);
		}, config.drainTimeoutMs + 15_000).unref();
		const skipped = new Promise<void>((resolve) => (skipWait = resolve));
		Promise.race([parley.drain(), skipped])
			.then(() => parley.close())
			.then(() => {
				clearTimeout(force);
				log.info('closed');
				process.exit(0);
			})
			.catch((error) => {
				log.error('close failed', error);
				process.exit(1);
			});
	});
}
