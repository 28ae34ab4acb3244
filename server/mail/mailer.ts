import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from '../logger.js';

export interface OutgoingMail {
	to: string;
	subject: string;
	text: string;
	html?: string;
}

export interface Mailer {
	send(mail: OutgoingMail): Promise<void>;
	/** Waits for mail still being sent (at most `graceMs`), then closes the transport. */
	close(graceMs?: number): Promise<void>;
}

/** Tracks sends in flight so `close` can let them finish: a code asked for just before a restart still goes out. */
function inFlight() {
	const pending = new Set<Promise<unknown>>();
	return {
		track<T>(p: Promise<T>): Promise<T> {
			pending.add(p);
			void p.finally(() => pending.delete(p)).catch(() => {});
			return p;
		},
		async drain(graceMs: number) {
			if (pending.size === 0) return;
			let timer: ReturnType<typeof setTimeout> | undefined;
			await Promise.race([
				Promise.allSettled([...pending]),
				new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))
			]);
			clearTimeout(timer);
		}
	};
}

/**
 * Sends through SMTP when `smtpUrl` is set. Otherwise writes each mail to `devMailbox` as a `.eml`
 * file and to the log, so a laptop install needs no mail server.
 */
export function createMailer(options: { smtpUrl?: string; from: string; devMailbox: string; log: Logger }): Mailer {
	const { from, log } = options;
	const flights = inFlight();
	if (options.smtpUrl) {
		const transport = nodemailer.createTransport(options.smtpUrl);
		return {
			send: (mail) =>
				flights.track(
					transport.sendMail({ from, ...mail }).then(() => log.info(`mail "${mail.subject}" sent to ${mail.to}`))
				),
			async close(graceMs = 5000) {
				await flights.drain(graceMs);
				transport.close();
			}
		};
	}
	const stream = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
	const write = async (mail: OutgoingMail) => {
		const info = await stream.sendMail({ from, ...mail });
		await fs.mkdir(options.devMailbox, { recursive: true });
		const file = path.join(options.devMailbox, `${new Date().toISOString().replace(/[:.]/g, '-')}-${mail.to.replace(/[^A-Za-z0-9@._-]/g, '_')}.eml`);
		await fs.writeFile(file, info.message as Buffer);
		log.info(`dev mailbox: "${mail.subject}" to ${mail.to} (${file})\n${mail.text}`);
	};
	return {
		send: (mail) => flights.track(write(mail)),
		async close(graceMs = 5000) {
			await flights.drain(graceMs);
			stream.close();
		}
	};
}
