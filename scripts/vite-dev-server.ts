import type { Plugin } from 'vite';

/**
 * `npm run dev`: runs Parley's API and chat socket inside Vite's dev server, so the web app gets hot
 * reload and talks to the real backend on the same port. Not used by builds or tests.
 */
export function parleyDevServer(): Plugin {
	return {
		name: 'parley-dev-server',
		apply: 'serve',
		async configureServer(server) {
			if (process.env.VITEST || !server.httpServer) return;
			const [{ createParley }, { loadConfig }, { configureLogging }] = await Promise.all([
				import('../server/app.js'),
				import('../server/config.js'),
				import('../server/logger.js')
			]);
			const port = server.config.server.port ?? 5173;
			const config = loadConfig({ PUBLIC_URL: `http://localhost:${port}`, ...process.env, PORT: String(port) });
			configureLogging({ level: config.logLevel });
			const parley = await createParley({ config, httpServer: server.httpServer as import('node:http').Server });
			server.middlewares.use((req, res, next) => {
				parley.handleApi(req, res).then((handled) => handled || next(), next);
			});
			server.httpServer.once('close', () => void parley.close());
		}
	};
}
