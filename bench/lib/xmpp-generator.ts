// A load generator process of the ejabberd peer (bench/peer.ts), speaking the same IPC as Parley's
// generators so the parent drives both scenarios the same way:
//   throughput (as bench/lib/chat-generator.ts, with the same StepOrder and StepResult):
//     → { type: 'setup', setup: XmppSetup }   ← { type: 'ready' } | { type: 'error', message }
//     → { type: 'step', step: StepOrder }     ← { type: 'step', result: StepResult }
//     → { type: 'idle', timeoutMs }           ← { type: 'idle', outstanding }
//   capacity (as bench/lib/hold-clients.ts):
//     → { type: 'open', count, first, source, concurrency, timeoutMs, … }  ← { type: 'opened', ok, failed, failures, errors, seconds }
//     → { type: 'status' }  ← { type: 'status', open, closed, pings, closeReasons }
//     → { type: 'drop' }    ← { type: 'dropped' }
// It holds every device of its pairs, so both ends of each message are timed by this process's clock.
// Exits when its parent goes away.
//
// The step loop is chat-generator's, message for message (bench/lib/step-loop.ts). What XMPP lacks is
// the ack after the durable write: a send counts as acked once @xmpp/client has written it to the
// socket (ejabberd tells the sender nothing when it archives a message).
import { performance } from 'node:perf_hooks';
import type { StepOrder } from './chat-generator.js';
import { connectFew, stepLoop, whenIdle, type StepLoop } from './step-loop.js';
import type { Workload } from './workload.js';
import { connectDevice, describe, holdIdle, type Device, type IdleConnection } from './xmpp.js';

export interface XmppPair {
	/** Bare JIDs of the two users. */
	users: [string, string];
}

export interface XmppSetup {
	gen: number;
	workload: Workload;
	/** `xmpp://127.0.0.1:PORT`. */
	service: string;
	password: string;
	pairs: XmppPair[];
}

export interface XmppOpenRequest {
	type: 'open';
	host: string;
	port: number;
	domain: string;
	password: string;
	/** Usernames `${prefix}${first}` … `${prefix}${first + count - 1}`, one connection each. */
	prefix: string;
	first: number;
	count: number;
	source: string;
	concurrency: number;
	timeoutMs: number;
}

let setup: XmppSetup;
let devices: Device[][][] = []; // [pair][side][device]
let loop: StepLoop;
let retries = 0;
let lastRetryError = '';

async function connectAll(): Promise<void> {
	const jobs: Array<() => Promise<void>> = [];
	devices = setup.pairs.map(() => [[], []]);
	setup.pairs.forEach((p, pair) =>
		p.users.forEach((jid, side) => {
			for (let index = 0; index < setup.workload.devicesPerUser; index++) {
				jobs.push(async () => {
					const [user, host] = jid.split('@');
					// A login may fail on a loaded machine (a timeout, a reset); two more tries before giving up.
					let device: Device | undefined;
					for (let attempt = 1; !device; attempt++) {
						try {
							device = await connectDevice({ service: setup.service, domain: host, username: user, password: setup.password, resource: `d${index}` });
						} catch (error) {
							if (attempt >= 3) throw error;
							retries++;
							lastRetryError = describe(error);
							await new Promise((r) => setTimeout(r, 500 * attempt));
						}
					}
					device.onMessage((body, direction) => {
						// The sender's own device never gets its message back; a `sent` carbon on another
						// device of the sender is the same push Parley sends to the sender's other devices.
						if (direction === 'sent' && index === 0) return;
						loop.onPush(pair, side, index, body);
					});
					devices[pair][side][index] = device;
				});
			}
		})
	);
	await connectFew(jobs);
}

// --- capacity ---------------------------------------------------------------------------------------

const held = new Set<IdleConnection>();
let closedCount = 0;
const closeReasons: Record<string, number> = {};

async function open(req: XmppOpenRequest): Promise<unknown> {
	const started = performance.now();
	let ok = 0;
	let failed = 0;
	const failures: Record<string, number> = {};
	const errors: string[] = [];
	let next = 0;
	await Promise.all(
		Array.from({ length: req.concurrency }, async () => {
			while (next < req.count) {
				const i = req.first + next++;
				try {
					const c = await holdIdle({ host: req.host, port: req.port, domain: req.domain, username: `${req.prefix}${i}`, password: req.password, resource: 'idle', localAddress: req.source, timeoutMs: req.timeoutMs });
					held.add(c);
					ok++;
				} catch (error) {
					failed++;
					const message = (error as Error).message;
					const kind = /no session within/.test(message) ? 'timeout' : /EMFILE|ENFILE/.test(message) ? 'open files' : /ECONNREFUSED|ECONNRESET|closed at/.test(message) ? 'closed' : 'other';
					failures[kind] = (failures[kind] ?? 0) + 1;
					if (errors.length < 5) errors.push(message);
				}
			}
		})
	);
	return { type: 'opened', ok, failed, failures, errors, seconds: (performance.now() - started) / 1000 };
}

function status(): unknown {
	let open = 0;
	for (const c of held) {
		if (c.open) open++;
		else {
			held.delete(c);
			closedCount++;
			const why = c.closedWhy ?? 'closed';
			closeReasons[why] = (closeReasons[why] ?? 0) + 1;
		}
	}
	return { type: 'status', open, closed: closedCount, pings: 0, closeReasons };
}

// @xmpp/client can reject a promise of its own that nobody holds when a socket is reset under it (a
// login given up on, a connection torn down): that is a failed device, which the retries and the
// figures account for, not a reason for the whole generator to die.
let strays = 0;
process.on('unhandledRejection', (error) => {
	if (strays++ < 5) console.error(`xmpp generator: ${describe(error)} (not awaited by anyone; carrying on)`);
});

function fail(message: string): void {
	process.send?.({ type: 'error', message: `xmpp generator ${setup?.gen ?? ''}: ${message}` });
}

process.on('message', (msg: { type: string; setup?: XmppSetup; step?: StepOrder; timeoutMs?: number } & Partial<Omit<XmppOpenRequest, 'type'>>) => {
	if (msg.type === 'setup') {
		setup = msg.setup!;
		loop = stepLoop({
			gen: setup.gen,
			workload: setup.workload,
			pairCount: setup.pairs.length,
			send: (pair, side, _tag, text) => devices[pair][side][0].send(setup.pairs[pair].users[1 - side], text),
			// Every device of both users but the sending one (Parley's generator also counts the sender's
			// own device, which Parley pushes the message to as well; XMPP does not echo it).
			pushesPerMessage: 2 * setup.workload.devicesPerUser - 1,
			acks: false,
			// As before the step loop was shared: the idle wait below counts what dropped steps never got.
			forgetDropped: false
		});
		connectAll().then(
			() => process.send?.({ type: 'ready', retries, lastRetryError }),
			(error: Error) => fail(describe(error))
		);
	} else if (msg.type === 'step') {
		loop.runStep(msg.step!).then(
			(result) => process.send?.({ type: 'step', result }),
			(error: Error) => fail(error.stack ?? error.message)
		);
	} else if (msg.type === 'idle') {
		void whenIdle(msg.timeoutMs!, loop.outstanding).then((outstanding) => process.send?.({ type: 'idle', outstanding }));
	} else if (msg.type === 'open') {
		open(msg as unknown as XmppOpenRequest).then(
			(reply) => process.send?.(reply),
			(error: Error) => fail(error.message)
		);
	} else if (msg.type === 'status') {
		process.send?.(status());
	} else if (msg.type === 'drop') {
		for (const c of held) c.close();
		held.clear();
		process.send?.({ type: 'dropped' });
	}
});

process.on('disconnect', () => {
	for (const pair of devices) for (const side of pair) for (const d of side) void d?.stop();
	for (const c of held) c.close();
	setTimeout(() => process.exit(0), 1000).unref();
});
