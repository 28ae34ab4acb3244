import fs from 'node:fs';
import path from 'node:path';
import webpush from 'web-push';
import type { Logger } from '../logger.js';

export interface VapidKeys {
	/** Uncompressed P-256 public key, base64url (what `PushManager.subscribe` takes). */
	publicKey: string;
	/** The private scalar, base64url. */
	privateKey: string;
}

/**
 * The server's VAPID keys (RFC 8292): the ones given (`VAPID_PUBLIC_KEY` and `VAPID_PRIVATE_KEY`), else
 * `DATA_DIR/vapid.json`, made on the first start (mode 0600, created exclusively, so two processes
 * starting at once on one data directory end up with the same keys). Every process of a deployment
 * must use the same keys: browsers' subscriptions are bound to the public key.
 */
export function loadVapidKeys(options: { dataDir: string; publicKey?: string; privateKey?: string; log: Logger }): VapidKeys {
	if (options.publicKey && options.privateKey) return { publicKey: options.publicKey, privateKey: options.privateKey };
	const file = path.join(options.dataDir, 'vapid.json');
	const read = (): VapidKeys => {
		const keys = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<VapidKeys>;
		if (typeof keys.publicKey !== 'string' || typeof keys.privateKey !== 'string') throw new Error(`${file}: expected {"publicKey", "privateKey"}; delete it to make new keys (every device subscribes again)`);
		return { publicKey: keys.publicKey, privateKey: keys.privateKey };
	};
	if (fs.existsSync(file)) return read();
	fs.mkdirSync(options.dataDir, { recursive: true });
	const keys = webpush.generateVAPIDKeys();
	try {
		fs.writeFileSync(file, JSON.stringify(keys, null, '\t') + '\n', { mode: 0o600, flag: 'wx' });
		options.log.info(`made new VAPID keys for Web Push in ${file}`);
		return keys;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'EEXIST') return read();
		throw error;
	}
}
