import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../logger.js';
import { EncryptedAppender } from './appender.js';
import { hasMagic, MAGIC, type MasterKey, plaintextSize } from './format.js';

export interface EncryptExistingOptions {
	/** UPLOAD_DIR. */
	uploadDir: string;
	key: MasterKey;
	/** Stops the work between two files (and inside one, which is then left clear). */
	signal: AbortSignal;
	log: Logger;
}

const PART = '.encrypting.part';
const READ_BYTES = 1024 * 1024;

/**
 * When encryption is turned on for a deployment with files stored clear: encrypts them in the
 * background, one at a time, each into a temporary file beside it that is renamed over it when whole
 * (readers hold the old file open, or open the new one: never half of one). Which files are done is
 * told by their header alone, so after a restart the work goes on where it stopped. Finished uploads,
 * thumbnails and pictures are encrypted; an upload still in progress in clear is left until it is
 * finished (the next start takes it). Progress goes to the log.
 */
export async function encryptExisting(options: EncryptExistingOptions): Promise<{ encrypted: number; bytes: number }> {
	const { uploadDir, key, signal, log } = options;
	const clear: string[] = [];
	for (const dir of ['tus', 'thumbs', 'avatars']) {
		const names = await fsp.readdir(path.join(uploadDir, dir)).catch(() => [] as string[]);
		for (const name of names) {
			const file = path.join(uploadDir, dir, name);
			// What a run cut off by a stop or a crash left: the file beside it is still whole (and clear).
			if (name.endsWith(PART)) await fsp.rm(file, { force: true });
			else if (!name.endsWith('.json') && !name.endsWith('.part') && !name.endsWith('.redo') && (await isClearAndDone(file, dir === 'tus'))) clear.push(file);
		}
	}
	const done = { encrypted: 0, bytes: 0 };
	if (clear.length === 0) return done;
	log.info(`encrypting ${clear.length} file(s) stored before FILES_ENCRYPTION_KEY was set, one at a time`);
	for (const file of clear) {
		if (signal.aborted) break;
		try {
			const bytes = await encryptFile(file, key, signal);
			if (bytes === undefined) continue;
			done.encrypted++;
			done.bytes += bytes;
			if (done.encrypted % 100 === 0 || done.encrypted === clear.length) log.info(`encrypted ${done.encrypted} of ${clear.length} file(s) (${(done.bytes / 1048576).toFixed(1)} MiB)`);
		} catch (error) {
			log.warn(`${file} was left clear: ${(error as Error).message}`);
		}
	}
	if (signal.aborted && done.encrypted < clear.length) log.info(`stopped after encrypting ${done.encrypted} of ${clear.length} file(s); the next start goes on`);
	return done;
}

/** A clear file (no header) that is whole: for an upload, one with all the bytes its record declares. */
async function isClearAndDone(file: string, upload: boolean): Promise<boolean> {
	try {
		const handle = await fsp.open(file, 'r');
		let size: number;
		try {
			size = (await handle.stat()).size;
			const head = Buffer.alloc(Math.min(size, MAGIC.length));
			if (head.length > 0) await handle.read(head, 0, head.length, 0);
			if (hasMagic(head)) return false;
		} finally {
			await handle.close();
		}
		if (!upload) return true;
		const record = JSON.parse(await fsp.readFile(`${file}.json`, 'utf8')) as { size?: number };
		return size > 0 && record.size === size;
	} catch {
		// Gone meanwhile, or no record: not ours to touch.
		return false;
	}
}

/** Encrypts one clear file in place (through a temporary file); the plaintext bytes, or undefined when it changed or went. */
async function encryptFile(file: string, key: MasterKey, signal: AbortSignal): Promise<number | undefined> {
	const partial = `${file}.${randomBytes(4).toString('hex')}${PART}`;
	const source = await fsp.open(file, 'r');
	try {
		const before = await source.stat();
		const target = await fsp.open(partial, 'wx');
		try {
			const appender = await EncryptedAppender.open({ handle: target, key, offset: 0, onDisk: 0, what: file });
			const buffer = Buffer.alloc(READ_BYTES);
			for (let at = 0; at < before.size; ) {
				if (signal.aborted) throw new Error('stopped');
				const { bytesRead } = await source.read(buffer, 0, Math.min(READ_BYTES, before.size - at), at);
				if (bytesRead === 0) throw new Error('the file got shorter while it was read');
				await appender.write(Buffer.from(buffer.subarray(0, bytesRead)));
				at += bytesRead;
			}
			await appender.finish();
			await target.sync();
			if (plaintextSize((await target.stat()).size) !== before.size) throw new Error('the encrypted copy has the wrong size');
		} finally {
			await target.close();
		}
		// Removed (deleted file) or rewritten while it was copied: leave it as it is now.
		const now = await fsp.stat(file).catch(() => undefined);
		if (!now || now.size !== before.size || now.mtimeMs !== before.mtimeMs || now.ino !== before.ino) {
			await fsp.rm(partial, { force: true });
			return undefined;
		}
		await fsp.rename(partial, file);
		// An upload removed in the instant between the check and the rename: do not leave it behind.
		if (path.basename(path.dirname(file)) === 'tus' && !(await fsp.stat(`${file}.json`).catch(() => undefined))) {
			await fsp.rm(file, { force: true });
			return undefined;
		}
		return before.size;
	} catch (error) {
		await fsp.rm(partial, { force: true });
		throw error;
	} finally {
		await source.close();
	}
}
