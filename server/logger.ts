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

/**
 * A class rather than an object of closures: the chat makes a logger per socket (`with({ user, socket })`),
 * and seven closures with their context cost each idle connection about 0.5 KiB of heap; an instance
 * is one small object (docs/BENCHMARKS.md, capacity). Its methods are called on the logger, as
 * everywhere in the code; pass `(m) => log.warn(m)`, not `log.warn`, as a callback.
 */
class ContextLogger implements Logger {
	/**
	 * @param context the `[key:value]` text of the loggers this one was made from
	 * @param added this one's own `with()` context, formatted only when a line is written: most
	 *   per-socket loggers never write one, and the text would cost each about 150 bytes
	 */
	constructor(
		private readonly namespace: string,
		private readonly context: string,
		private readonly added?: Record<string, string | number>
	) {}

	debug(message: string, extra?: unknown): void {
		this.write('debug', message, extra);
	}

	info(message: string, extra?: unknown): void {
		this.write('info', message, extra);
	}

	warn(message: string, extra?: unknown): void {
		this.write('warn', message, extra);
	}

	error(message: string, extra?: unknown): void {
		this.write('error', message, extra);
	}

	child(namespace: string): Logger {
		return new ContextLogger(`${this.namespace}:${namespace}`, this.fullContext());
	}

	with(context: Record<string, string | number>): Logger {
		return new ContextLogger(this.namespace, this.fullContext(), { ...context });
	}

	private fullContext(): string {
		let text = this.context;
		if (this.added) for (const [k, v] of Object.entries(this.added)) text += `[${k}:${v}]`;
		return text;
	}

	private write(level: Level, message: string, extra?: unknown): void {
		if (ORDER[level] < ORDER[threshold]) return;
		const line = `${new Date().toISOString()} ${prefix}${level.toUpperCase().padEnd(5)} [${this.namespace}]${this.fullContext()} ${message}${format(extra)}\n`;
		(ORDER[level] >= ORDER.warn ? process.stderr : process.stdout).write(line);
	}
}

export const log: Logger = new ContextLogger('parley', '');
