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
	close(): void;
}

/**
 * Sends through SMTP when `smtpUrl` is set. Otherwise writes each mail to `devMailbox` as a `.eml`
 * file and to the log, so a laptop install needs no mail server.
 */
export function createMailer(options: { smtpUrl?: string; from: string; devMailbox: string; log: Logger }): Mailer {
	const { from, log } = options;
	if (options.smtpUrl) {
		const transport = nodemailer.createTransport(options.smtpUrl);
		return {
			async send(mail) {
				await transport.sendMail({ from, ...mail });
				log.info(`mail "${mail.subject}" sent to ${mail.to}`);
			},
			close: () => transport.close()
		};
	}
	const stream = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
	return {
		async send(mail) {
			const info = await stream.sendMail({ from, ...mail });
			await fs.mkdir(options.devMailbox, { recursive: true });
			const file = path.join(options.devMailbox, `${new Date().toISOString().replace(/[:.]/g, '-')}-${mail.to.replace(/[^A-Za-z0-9@._-]/g, '_')}.eml`);
			await fs.writeFile(file, info.message as Buffer);
			log.info(`dev mailbox: "${mail.subject}" to ${mail.to} (${file})\n${mail.text}`);
		},
		close: () => stream.close()
	};
}
