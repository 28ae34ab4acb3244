import type { Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CaughtMail {
	to: string[];
	from: string;
	raw: string;
	subject: string;
	text: string;
}

/**
 * A real SMTP server on a free loopback port that keeps every mail it is sent. Parley talks to it
 * through nodemailer exactly as it would to a production relay.
 */
export class SmtpCatcher {
	readonly mails: CaughtMail[] = [];
	#server: SMTPServer;
	#waiters: Array<() => void> = [];
	#open = 0;
	#lastActivity = 0;
	port = 0;

	constructor() {
		this.#server = new SMTPServer({
			authOptional: true,
			disabledCommands: ['STARTTLS'],
			// Loopback only: a reverse DNS look-up of 127.0.0.1 could only stall where DNS is slow.
			disableReverseLookup: true,
			logger: false,
			onData: (stream, session, callback) => {
				const chunks: Buffer[] = [];
				stream.on('data', (c: Buffer) => chunks.push(c));
				stream.on('end', () => {
					const raw = Buffer.concat(chunks).toString('utf8');
					const [head, ...body] = raw.split(/\r?\n\r?\n/);
					const subject = /^Subject: (.*)$/im.exec(head)?.[1]?.trim() ?? '';
					this.mails.push({
						to: session.envelope.rcptTo.map((r) => r.address),
						from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
						raw,
						subject,
						text: decodeBody(body.join('\n\n'))
					});
					for (const wake of this.#waiters.splice(0)) wake();
					callback();
				});
			}
		});
	}

	get url(): string {
		return `smtp://127.0.0.1:${this.port}`;
	}

	async start(): Promise<this> {
		await new Promise<void>((resolve, reject) => {
			this.#server.once('error', reject);
			this.#server.listen(0, '127.0.0.1', () => resolve());
		});
		// Counted from the TCP accept: smtp-server itself only takes notice of a client 100 ms later.
		this.#server.server.on('connection', (socket: Socket) => {
			this.#open++;
			this.#lastActivity = Date.now();
			socket.once('close', () => {
				this.#open--;
				this.#lastActivity = Date.now();
			});
		});
		this.port = (this.#server.server.address() as { port: number }).port;
		return this;
	}

	/**
	 * Stops once mail traffic has settled (at most 2 s), so mails the server sends in the background
	 * after a test's last request are still taken rather than refused with a logged 421.
	 */
	async stop(): Promise<void> {
		const deadline = Date.now() + 2_000;
		while (Date.now() < deadline && (this.#open > 0 || Date.now() - this.#lastActivity < 150)) {
			await new Promise((resolve) => setTimeout(resolve, 25));
		}
		await new Promise<void>((resolve) => this.#server.close(() => resolve()));
	}

	/** Waits for the next mail to `to` that matches, up to `timeoutMs`. */
	async waitFor(to: string, options: { after?: number; timeoutMs?: number; match?: (m: CaughtMail) => boolean } = {}): Promise<CaughtMail> {
		const deadline = Date.now() + (options.timeoutMs ?? 10_000);
		const after = options.after ?? 0;
		for (;;) {
			const found = this.mails
				.slice(after)
				.filter((m) => m.to.some((addr) => addr.toLowerCase() === to.toLowerCase()) && (!options.match || options.match(m)))
				.at(-1);
			if (found) return found;
			if (Date.now() > deadline) throw new Error(`no mail to ${to} within ${options.timeoutMs ?? 10_000} ms`);
			await new Promise<void>((resolve) => {
				this.#waiters.push(resolve);
				setTimeout(resolve, 100);
			});
		}
	}

	/** The 6-digit code in the newest mail to `to` sent after mail number `after`. */
	async codeFor(to: string, after = 0): Promise<string> {
		const mail = await this.waitFor(to, { after, match: (m) => /\b\d{6}\b/.test(m.text) });
		return /\b(\d{6})\b/.exec(mail.text)![1];
	}
}

function decodeBody(body: string): string {
	// nodemailer sends plain ASCII text as 7bit or quoted-printable; undo soft breaks and =XX escapes.
	return body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
