import { ConfigError, optional, type Env } from './values.js';

/** FILES_STORE=s3://…: an S3-compatible bucket (server/files/storage/s3). */
export interface S3StoreConfig {
	readonly kind: 's3';
	/** `https://host[:port]`, or `http://` with `tls=false`. */
	readonly endpoint: string;
	readonly bucket: string;
	/** `region=`; default `us-east-1` (what most S3-compatible servers take). */
	readonly region: string;
	/** `https://bucket.host/key` (virtual-hosted) with `path_style=false`; default `https://host/bucket/key`. */
	readonly forcePathStyle: boolean;
	/** From the URL's user and password; absent: the AWS SDK's own chain (AWS_ACCESS_KEY_ID …). */
	readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** Where files live; undefined is the local disk under UPLOAD_DIR. */
export type StoreConfig = S3StoreConfig;

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const EXAMPLE = 's3://ACCESS_KEY:SECRET@s3.example.com/parley-files?region=eu-west-1';

/**
 * `FILES_STORE`: unset or `local` for the local disk; `s3://[ACCESS_KEY:SECRET@]HOST[:PORT]/BUCKET`
 * with the query options `region`, `tls=false` (plain HTTP, for a server on a private network) and
 * `path_style=false`. The bucket must exist and be Parley's alone.
 */
export function filesStoreConfig(env: Env): StoreConfig | undefined {
	const raw = optional(env, 'FILES_STORE');
	if (raw === undefined || raw === 'local') return undefined;
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw new ConfigError('FILES_STORE', `must be "local" or an S3 URL such as ${EXAMPLE}`);
	}
	if (url.protocol !== 's3:') throw new ConfigError('FILES_STORE', `must be "local" or an S3 URL such as ${EXAMPLE}, not a ${url.protocol} URL`);
	if (!url.hostname) throw new ConfigError('FILES_STORE', `names no host: give the S3 endpoint's, as in ${EXAMPLE}`);
	const bucket = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, ''));
	if (!BUCKET.test(bucket) || bucket.includes('..')) {
		throw new ConfigError('FILES_STORE', `names the bucket "${bucket}": a bucket name has 3 to 63 lower-case letters, digits, dots and hyphens, and nothing after it (Parley keeps its objects at the bucket's root)`);
	}
	const known = new Set(['region', 'tls', 'path_style']);
	for (const name of url.searchParams.keys()) if (!known.has(name)) throw new ConfigError('FILES_STORE', `has the unknown option "${name}"; the options are region, tls and path_style`);
	const flag = (name: string, fallback: boolean) => {
		const value = url.searchParams.get(name);
		if (value === null) return fallback;
		if (value === 'true' || value === '1') return true;
		if (value === 'false' || value === '0') return false;
		throw new ConfigError('FILES_STORE', `option ${name} must be true or false, got "${value}"`);
	};
	const user = decodeURIComponent(url.username);
	const password = decodeURIComponent(url.password);
	if ((user === '') !== (password === '')) throw new ConfigError('FILES_STORE', 'gives an access key without its secret (or the reverse): give both as ACCESS_KEY:SECRET@, or neither');
	return Object.freeze({
		kind: 's3' as const,
		endpoint: `${flag('tls', true) ? 'https' : 'http'}://${url.host}`,
		bucket,
		region: url.searchParams.get('region') || 'us-east-1',
		forcePathStyle: flag('path_style', true),
		...(user ? { credentials: Object.freeze({ accessKeyId: user, secretAccessKey: password }) } : {})
	});
}

/** The store in words for the log: never a credential. */
export function describeStore(store: StoreConfig | undefined, uploadDir: string): string {
	return store ? `S3 bucket "${store.bucket}" at ${store.endpoint}` : `the local disk (${uploadDir})`;
}
