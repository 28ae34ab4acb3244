// An S3-compatible server for tests, in a process of its own: s3rver 3.7.1 (npm), plus the three
// multipart calls tus's S3 store makes that s3rver does not implement: ListParts (how far an upload
// got), AbortMultipartUpload (removing an unfinished upload) and their NoSuchUpload answer. They
// read and remove s3rver's own part files; everything else (signatures, objects, multipart upload,
// completion, ranges, listings) is s3rver's.
//
//   node tests/helpers/s3rver-process.mjs DIRECTORY BUCKET   → prints "listening on 127.0.0.1:PORT"
import fs from 'node:fs/promises';
import path from 'node:path';
import S3rver from 's3rver';
import S3Error from 's3rver/lib/models/error.js';

const [directory, bucket] = process.argv.slice(2);
const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, configureBuckets: [{ name: bucket, configs: [] }] });

/** s3rver keeps an unfinished multipart upload's parts as files `<n>` (and `<n>.md5`) in this directory. */
const partsDir = (uploadId) => path.join(server.store.getResourcePath(bucket, undefined, 'uploads'), path.basename(uploadId));

async function listParts(ctx, uploadId) {
	let names;
	try {
		names = await fs.readdir(partsDir(uploadId));
	} catch {
		throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: uploadId });
	}
	const numbers = names.filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
	const parts = [];
	for (const number of numbers) {
		const file = path.join(partsDir(uploadId), String(number));
		const [stat, md5] = await Promise.all([fs.stat(file), fs.readFile(`${file}.md5`, 'utf8').catch(() => '')]);
		parts.push({ PartNumber: number, LastModified: stat.mtime.toISOString(), ETag: `"${md5}"`, Size: stat.size });
	}
	ctx.body = { ListPartsResult: { Bucket: bucket, Key: ctx.params?.key ?? '', UploadId: uploadId, PartNumberMarker: 0, MaxParts: 10000, IsTruncated: false, Part: parts } };
}

async function abort(ctx, uploadId) {
	try {
		await fs.access(partsDir(uploadId));
	} catch {
		throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: uploadId });
	}
	await fs.rm(partsDir(uploadId), { recursive: true, force: true });
	ctx.status = 204;
}

// Before s3rver's router (the last middleware), after its XML and error handling.
server.middleware.splice(server.middleware.length - 1, 0, async (ctx, next) => {
	const uploadId = ctx.query.uploadId;
	const onObject = ctx.path.startsWith(`/${bucket}/`) && ctx.path.length > bucket.length + 2;
	if (typeof uploadId === 'string' && onObject && ctx.method === 'GET') return listParts(ctx, uploadId);
	if (typeof uploadId === 'string' && onObject && ctx.method === 'DELETE') return abort(ctx, uploadId);
	return next();
});

const { port } = await server.run();
console.log(`S3rver listening on 127.0.0.1:${port}`);
process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));
