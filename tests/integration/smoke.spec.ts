import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames } from '../helpers/backends.js';
import { startParley, type TestParley } from '../helpers/parley.js';

describe.each(backendNames())('account round trip on %s', (backend) => {
	let t: TestParley;
	beforeAll(async () => {
		t = await startParley(backend);
	});
	afterAll(async () => t?.stop());

	it('healthz names the node and its roles', async () => {
		const res = await t.request('GET', '/healthz');
		expect(res.status).toBe(200);
		expect(res.body).toMatchObject({ status: 'ok', nodeId: `test-${backend}`, roles: ['gateway', 'chat', 'balance', 'files', 'media'] });
	});

	it('registers with an emailed code, signs in, and opens a ticketed socket', async () => {
		const login = await t.signUp({ displayName: 'Alice Example' });
		expect(login.user.displayName).toBe('Alice Example');
		const socket = await t.connectSocket(login.chat.ticket);
		const ack = await socket.emitWithAck('session:whoami', {});
		expect(ack).toEqual({ ok: true, userId: login.user.id });
	});
});
