import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { DiskStore } from './disk-store.js';

let root: string | undefined;
afterEach(() => {
	if (root) fs.rmSync(root, { recursive: true, force: true });
});

// @tus/file-store makes its directory asynchronously and throws from the callback if that fails: a
// Parley stopped right after it started, its data directory removed, crashed the test run in CI.
it('makes its directory before the constructor returns, with nothing left pending that could throw', async () => {
	root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-store-'));
	const directory = path.join(root, 'uploads', 'tus');
	new DiskStore({ directory, expirationPeriodInMilliseconds: 60_000 });
	expect(fs.statSync(directory).isDirectory()).toBe(true);
	fs.rmSync(root, { recursive: true, force: true });
	await new Promise((resolve) => setTimeout(resolve, 50));
	// A pending fs.mkdir of the parent's would have made the directory again, or thrown (uncaught).
	expect(fs.existsSync(root)).toBe(false);
});
