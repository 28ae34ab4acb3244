import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { log } from '../logger.js';
import { topicOf } from './push.service.js';
import { loadVapidKeys } from './vapid.js';

const dirs: string[] = [];
const tmp = () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-vapid-'));
	dirs.push(dir);
	return dir;
};
afterEach(() => {
	for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('loadVapidKeys', () => {
	it('makes keys once in DATA_DIR/vapid.json (0600) and reads the same ones after', () => {
		const dir = path.join(tmp(), 'nested');
		const first = loadVapidKeys({ dataDir: dir, log });
		expect(Buffer.from(first.publicKey, 'base64url')).toHaveLength(65);
		expect(Buffer.from(first.privateKey, 'base64url')).toHaveLength(32);
		expect(fs.statSync(path.join(dir, 'vapid.json')).mode & 0o777).toBe(0o600);
		expect(loadVapidKeys({ dataDir: dir, log })).toEqual(first);
	});
	it('takes the keys given and writes nothing', () => {
		const dir = tmp();
		expect(loadVapidKeys({ dataDir: dir, publicKey: 'pub', privateKey: 'priv', log })).toEqual({ publicKey: 'pub', privateKey: 'priv' });
		expect(fs.existsSync(path.join(dir, 'vapid.json'))).toBe(false);
	});
	it('names the file when it is not what it should be', () => {
		const dir = tmp();
		fs.writeFileSync(path.join(dir, 'vapid.json'), '{"publicKey": 1}');
		expect(() => loadVapidKeys({ dataDir: dir, log })).toThrow(/vapid\.json: expected/);
	});
});

describe('topicOf', () => {
	it('is at most 32 URL-safe characters, the same for a thread, different between threads', () => {
		const topic = topicOf('01m96ve8fs89dwfj8se1');
		expect(topic).toMatch(/^[A-Za-z0-9_-]{32}$/);
		expect(topicOf('01m96ve8fs89dwfj8se1')).toBe(topic);
		expect(topicOf('01m96ve8fs89dwfj8se2')).not.toBe(topic);
	});
});
