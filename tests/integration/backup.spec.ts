import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoginResponse, Message, Thread } from '../../src/lib/protocol/index.js';
import { backendNames, createTestDatabase, type TestDatabase } from '../helpers/backends.js';
import { befriend, clientId, ok, person, send, type Person } from '../helpers/chat.js';
import { download, sha256, upload } from '../helpers/files.js';
import { history } from '../helpers/groups.js';
import { startParley, type TestParley } from '../helpers/parley.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

/** `npm run backup` / `npm run restore` as an operator runs them (the same script), with this environment. */
async function cli(args: string[], env: Record<string, string>): Promise<string> {
	const { stdout } = await run(process.execPath, ['scripts/backup.mjs', ...args], { cwd: root, env: { ...process.env, ...env } });
	return stdout;
}

// docs/DEPLOY.md "Backup and restore": a backup taken while the server writes, restored into a fresh
// data directory and database, serves the same conversations and files.
describe.each(backendNames())('backup and restore (%s)', (backend) => {
	let t: TestParley;
	let restored: TestParley | undefined;
	let fresh: TestDatabase | undefined;
	let alice: Person;
	let bob: Person;
	let thread: Thread;
	const bytes = randomBytes(300_000);
	let fileId: string;
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-backup-'));

	beforeAll(async () => {
		t = await startParley(backend, { env: { SEND_RATE_LIMIT: '100000/1m' }, parley: { limits: { codesPerIp: 10_000 } } });
		[alice, bob] = await Promise.all([person(t, { displayName: 'Alice' }), person(t, { displayName: 'Bob' })]);
		thread = await befriend(alice, bob);
		fileId = (await upload(t, alice.token, bytes, { filename: 'plan.bin', threadId: thread.id })).fileId;
		await ok(alice.socket, 'messages:send', { threadId: thread.id, clientId: clientId(), fileId });
		for (let i = 0; i < 20; i++) await send(i % 2 ? bob.socket : alice.socket, thread.id, `before ${i}`);
	});
	afterAll(async () => {
		await restored?.stop();
		await fresh?.drop();
		await t?.stop();
		fs.rmSync(tmp, { recursive: true, force: true });
	});

	it('a backup taken while messages are being sent, restored into a fresh deployment, serves every message acknowledged before it and the file, byte-identical', async () => {
		const { config } = t.parley;
		// Writes go on during the backup: every message acknowledged before it starts must be in it.
		const acked: { message: Message; at: number }[] = [];
		let writing = true;
		const writer = (async () => {
			for (let i = 0; writing; i++) acked.push({ message: await send(alice.socket, thread.id, `during ${i}`), at: Date.now() });
		})();
		while (acked.length < 5) await new Promise((r) => setTimeout(r, 20));
		const started = Date.now();
		const out = await cli(['backup', '--out', path.join(tmp, 'backups')], { DATABASE_URL: config.databaseUrl, DATA_DIR: config.dataDir });
		writing = false;
		await writer;
		const dir = out.match(/backup complete: (.+)/)?.[1].trim();
		expect(dir, out).toBeTruthy();
		const manifest = JSON.parse(fs.readFileSync(path.join(dir!, 'manifest.json'), 'utf8'));
		expect(manifest).toMatchObject({ format: 'parley-backup', version: 1, database: { dialect: backend } });
		expect(manifest.uploads.files).toBeGreaterThan(0);

		// A fresh deployment: a new data directory and an empty database of the same kind.
		const dataDir = path.join(tmp, 'restored');
		fresh = await createTestDatabase(backend);
		const databaseUrl = backend === 'sqlite' ? `sqlite:${path.join(dataDir, 'parley.db')}` : fresh.url;
		await cli(['restore', '--from', dir!], { DATABASE_URL: databaseUrl, DATA_DIR: dataDir });
		// Restoring again over what is there now is refused, and changes nothing.
		await expect(cli(['restore', '--from', dir!], { DATABASE_URL: databaseUrl, DATA_DIR: dataDir })).rejects.toThrow(/exists|tables/);

		restored = await startParley(backend, { env: { DATABASE_URL: databaseUrl, DATA_DIR: dataDir }, parley: { limits: { codesPerIp: 10_000 } } });
		const login = await restored.request<LoginResponse>('POST', '/api/auth/login', { body: { login: alice.user.username, password: alice.password } });
		expect(login.status).toBe(200);
		const socket = await restored.connectSocket(login.body.chat.ticket);
		const before = await history(alice.socket, thread.id);
		const after = await history(socket, thread.id);
		// The restored thread is the original's history up to a moment: a prefix, nothing changed.
		expect(after.length).toBeGreaterThanOrEqual(22);
		expect(after).toEqual(before.slice(0, after.length));
		const kept = new Set(after.map((m) => m.id));
		for (const { message, at } of acked) if (at < started) expect(kept.has(message.id), message.text).toBe(true);
		const got = await download(restored, login.body.token, fileId);
		expect(got.status).toBe(200);
		expect(sha256(got.body)).toBe(sha256(bytes));
	});
});
