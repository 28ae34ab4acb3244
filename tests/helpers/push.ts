import { createECDH, createHmac, createDecipheriv, createPublicKey, randomBytes, verify } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One push as the push service received it. */
export interface ReceivedPush {
	/** The subscription's id (the endpoint's last path piece). */
	id: string;
	headers: http.IncomingHttpHeaders;
	body: Buffer;
}

/**
 * A push service on loopback (plain http): records each push and answers 201, or what `answer` says
 * for a subscription (410 for one that is gone).
 */
export class LoopbackPushService {
	readonly received: ReceivedPush[] = [];
	readonly answer = new Map<string, number>();
	#server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const id = (req.url ?? '').split('/').pop() ?? '';
			this.received.push({ id, headers: req.headers, body: Buffer.concat(chunks) });
			res.writeHead(this.answer.get(id) ?? 201).end();
		});
	});
	#base = '';

	async start(): Promise<this> {
		await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
		this.#base = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
		return this;
	}

	/** A browser's subscription at this service: its endpoint, keys, and the way to read its pushes. */
	subscription(): TestSubscription {
		return new TestSubscription(`${this.#base}/push/${randomBytes(8).toString('hex')}`);
	}

	to(s: TestSubscription): ReceivedPush[] {
		return this.received.filter((p) => p.id === s.id);
	}

	stop(): Promise<void> {
		return new Promise((resolve) => this.#server.close(() => resolve()));
	}
}

const hmac = (key: Buffer, data: Buffer) => createHmac('sha256', key).update(data).digest();

/** The browser side of a subscription: a P-256 key pair and an auth secret made with node:crypto. */
export class TestSubscription {
	readonly id: string;
	readonly #ecdh = createECDH('prime256v1');
	readonly #auth = randomBytes(16);
	readonly publicKey: Buffer;

	constructor(readonly endpoint: string) {
		this.id = endpoint.split('/').pop()!;
		this.publicKey = this.#ecdh.generateKeys();
	}

	/** As `PushSubscription.toJSON()` gives it. */
	toJSON(): { endpoint: string; keys: { p256dh: string; auth: string } } {
		return { endpoint: this.endpoint, keys: { p256dh: this.publicKey.toString('base64url'), auth: this.#auth.toString('base64url') } };
	}

	/** Decrypts an aes128gcm push body (RFC 8188, keys of RFC 8291) as a browser would. */
	decrypt(body: Buffer): string {
		const salt = body.subarray(0, 16);
		const idlen = body[20];
		const serverKey = body.subarray(21, 21 + idlen);
		const record = body.subarray(21 + idlen);
		const secret = this.#ecdh.computeSecret(serverKey);
		const prkKey = hmac(this.#auth, secret);
		const ikm = hmac(prkKey, Buffer.concat([Buffer.from('WebPush: info\0'), this.publicKey, serverKey, Buffer.from([1])]));
		const prk = hmac(salt, ikm);
		const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01')).subarray(0, 16);
		const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01')).subarray(0, 12);
		const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
		decipher.setAuthTag(record.subarray(record.length - 16));
		const plain = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
		// The last record ends with 0x02 and zero or more zeros of padding.
		let end = plain.length - 1;
		while (end >= 0 && plain[end] === 0) end--;
		if (plain[end] !== 2) throw new Error('push body: no last-record delimiter');
		return plain.subarray(0, end).toString('utf8');
	}
}

/**
 * Checks a push's `Authorization: vapid t=<JWT>, k=<key>` (RFC 8292): the key, the ES256 signature,
 * the audience (the endpoint's origin) and an expiry within 24 h. Returns the JWT's claims.
 */
export function checkVapid(header: string | undefined, publicKey: string, endpoint: string): { aud: string; sub: string; exp: number } {
	const m = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(header ?? '');
	if (!m) throw new Error(`Authorization is not "vapid t=…, k=…": ${header}`);
	const [, jwt, k] = m;
	if (k !== publicKey) throw new Error(`VAPID k ${k} is not the server's key ${publicKey}`);
	const [head, claims, sig] = jwt.split('.');
	const raw = Buffer.from(k, 'base64url');
	const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33).toString('base64url') }, format: 'jwk' });
	if (!verify('sha256', Buffer.from(`${head}.${claims}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'))) throw new Error('VAPID JWT signature does not verify');
	const parsed = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as { aud: string; sub: string; exp: number };
	if (parsed.aud !== new URL(endpoint).origin) throw new Error(`VAPID aud ${parsed.aud} is not ${new URL(endpoint).origin}`);
	if (parsed.exp * 1000 > Date.now() + 24 * 3600_000 + 60_000) throw new Error('VAPID exp more than 24 h ahead');
	return parsed;
}
