// `npm run backup -- [--out DIR]` and `npm run restore -- --from DIR`: see docs/DEPLOY.md, "Backup and restore".
// They read the same environment as the server (DATABASE_URL, DATA_DIR, UPLOAD_DIR).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { backup, restore } from './backup.js';
import { BackupError } from './database.js';

const USAGE = 'usage: npm run backup -- [--out DIR]   |   npm run restore -- --from BACKUP_DIR';

async function main(argv: string[]): Promise<void> {
	const [command, ...rest] = argv;
	const { values } = parseArgs({ args: rest, options: { out: { type: 'string' }, from: { type: 'string' }, help: { type: 'boolean' } }, strict: true });
	if (values.help) return void console.log(USAGE);
	const config = loadConfig(process.env);
	const source = { databaseUrl: config.databaseUrl, dataDir: config.dataDir, uploadDir: config.uploadDir };
	if (command === 'backup') {
		const out = path.resolve(values.out ?? 'backups');
		const { dir, manifest } = await backup(source, out);
		const mib = (n: number) => (n / 1048576).toFixed(1);
		console.log(`backup complete: ${dir}`);
		console.log(`  database (${manifest.database.dialect}, ${manifest.database.tool}) as of ${manifest.createdAt}`);
		console.log(`  uploads: ${manifest.uploads.files} files, ${mib(manifest.uploads.bytes)} MiB; data: ${manifest.data.files} files`);
		return;
	}
	if (command === 'restore') {
		if (!values.from) throw new BackupError(`--from is missing. ${USAGE}`);
		const manifest = await restore(path.resolve(values.from), source);
		console.log(`restored the backup of ${manifest.createdAt} into ${config.databaseUrl.startsWith('sqlite:') ? config.databaseUrl : 'the database of DATABASE_URL'}, ${config.dataDir} and ${config.uploadDir}; start Parley now`);
		return;
	}
	throw new BackupError(USAGE);
}

main(process.argv.slice(2)).catch((error: unknown) => {
	const known = error instanceof BackupError || error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
	console.error(known ? `error: ${(error as Error).message}` : error);
	process.exit(1);
});
