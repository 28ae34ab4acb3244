/**
 * One logger for the whole process: `log.child('auth')` gives a namespace, `.with({ user: id })` adds
 * context that shows as `[user:42]`. Lines go to stdout (info, debug) or stderr (warn, error).
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let threshold: Level = 'info';
let prefix = '';

/** Set once at start from the config. */
export function configureLogging(options: { level: Level; prefix?: string }): void {
	threshold = options.level;
	prefix = options.prefix ? `${options.prefix} ` : '';
}

export interface Logger {
	debug(message: string, extra?: unknown): void;
	info(message: string, extra?: unknown): void;
	warn(message: string, extra?: unknown): void;
	error(message: string, extra?: unknown): void;
	child(namespace: string): Logger;
	with(context: Record<string, string | number>): Logger;
}

function format(extra: unknown): string {
	if (extra === undefined) return '';
	if (extra instanceof Error) return ` ${extra.stack ?? extra.message}`;
	try {
		return ` ${JSON.stringify(extra)}`;
	} catch {
		return ` ${String(extra)}`;
	}
}

function make(namespace: string, context: string): Logger {
	const write = (level: Level, message: string, extra?: unknown) => {
		if (ORDER[level] < ORDER[threshold]) return;
		const line = `${new Date().toISOString()} ${prefix}${level.toUpperCase().padEnd(5)} [${namespace}]${context} ${message}${format(extra)}\n`;
		(ORDER[level] >= ORDER.warn ? process.stderr : process.stdout).write(line);
	};
	return {
		debug: (m, e) => write('debug', m, e),
		info: (m, e) => write('info', m, e),
		warn: (m, e) => write('warn', m, e),
		error: (m, e) => write('error', m, e),
		child: (ns) => make(`${namespace}:${ns}`, context),
		with: (ctx) =>
			make(
				namespace,
				context +
					Object.entries(ctx)
						.map(([k, v]) => `[${k}:${v}]`)
						.join('')
			)
	};
}

export const log: Logger = make('parley', '');
