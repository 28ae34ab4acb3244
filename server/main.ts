import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createParley, type WebHandler } from './app.js';
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

const parley = await createParley({ config, web: config.roles.includes('gateway') ? await loadWeb() : undefined });
const port = await parley.listen();
log.info(`Parley ${config.nodeId} (${config.roles.join(', ')}) listening on http://${config.host}:${port}, public URL ${config.publicUrl}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.on(signal, () => {
		if (stopping) return;
		stopping = true;
		log.info(`${signal}: closing`);
		const force = setTimeout(() => process.exit(1), 10_000).unref();
		parley
			.close()
			.then(() => {
				clearTimeout(force);
				process.exit(0);
			})
			.catch((error) => {
				log.error('close failed', error);
				process.exit(1);
			});
	});
}
