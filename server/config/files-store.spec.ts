import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { describeStore, filesStoreConfig } from './files-store.js';
import { ConfigError } from './values.js';

describe('FILES_STORE', () => {
	it('is the local disk unless set, or set to local', () => {
		expect(loadConfig({}).filesStore).toBeUndefined();
		expect(filesStoreConfig({ FILES_STORE: 'local' })).toBeUndefined();
	});

	it('reads an S3 URL: credentials, host and port, bucket, region, plain HTTP and virtual-hosted addressing', () => {
		expect(filesStoreConfig({ FILES_STORE: 's3://AKIA123:se%2Fcret@minio.internal:9000/parley-files?region=eu-west-1&tls=false' })).toEqual({
			kind: 's3',
			endpoint: 'http://minio.internal:9000',
			bucket: 'parley-files',
			region: 'eu-west-1',
			forcePathStyle: true,
			credentials: { accessKeyId: 'AKIA123', secretAccessKey: 'se/cret' }
		});
		const plain = filesStoreConfig({ FILES_STORE: 's3://s3.amazonaws.com/my.bucket-1/?path_style=false' })!;
		expect(plain).toEqual({ kind: 's3', endpoint: 'https://s3.amazonaws.com', bucket: 'my.bucket-1', region: 'us-east-1', forcePathStyle: false });
		expect(loadConfig({ FILES_STORE: 's3://h/parley-files' }).filesStore?.bucket).toBe('parley-files');
	});

	it('says where files are without ever showing a credential', () => {
		const store = filesStoreConfig({ FILES_STORE: 's3://KEY:SECRET@h:9000/parley-files?tls=0' });
		const words = describeStore(store, '/data/uploads');
		expect(words).toBe('S3 bucket "parley-files" at http://h:9000');
		expect(words).not.toMatch(/KEY|SECRET/);
		expect(describeStore(undefined, '/data/uploads')).toBe('the local disk (/data/uploads)');
	});

	it.each([
		['file:///srv/files', /"local" or an S3 URL/],
		['parley-files', /"local" or an S3 URL/],
		['s3:///parley-files', /names no host/],
		['s3://h/', /bucket ""/],
		['s3://h/b', /bucket "b"/],
		['s3://h/Parley', /bucket "Parley"/],
		['s3://h/parley/sub', /nothing after it/],
		['s3://h/parley-files?tls=maybe', /tls must be true or false/],
		['s3://h/parley-files?secure=1', /unknown option "secure"/],
		['s3://KEY@h/parley-files', /access key without its secret/]
	])('refuses %s, naming FILES_STORE', (raw, message) => {
		let error: unknown;
		try {
			loadConfig({ FILES_STORE: raw });
		} catch (e) {
			error = e;
		}
		expect(error).toBeInstanceOf(ConfigError);
		expect((error as Error).message).toMatch(/FILES_STORE/);
		expect((error as Error).message).toMatch(message);
	});
});
