import type { Locator, Page } from '@playwright/test';
import { grows, noWorker, worker } from './call-helpers.js';
import { befriend, connectBot } from './chat-helpers.js';
import { clusterBackendsUp, startBrowserCluster } from './cluster-helpers.js';
import { FAILED_SHOWN_MS } from '../../src/lib/call/ended.js';
import { expect, test } from './fixtures.js';

// The cluster in a browser: a gateway and two chat nodes (the built server, as users run it) on
// PostgreSQL and Redis. Alice and Bob are on different nodes; Alice's node is killed (-9) mid-chat.
// Her page must reconnect by itself (a fresh ticket names the surviving node) and the conversation
// must go on with nothing lost or doubled, including what she wrote while her node was gone. Then a
// video call between two chat nodes, carried by a media node of its own (ROLES=media).

const bubble = (page: Page, text: string): Locator => page.getByTestId('message').filter({ has: page.getByTestId('message-text').getByText(text, { exact: true }) });
const threadItem = (page: Page, name: string): Locator => page.getByTestId('thread-item').filter({ hasText: name });

async function send(page: Page, peerName: string, text: string) {
	const composer = page.getByLabel(`Message to ${peerName}`);
	await composer.fill(text);
	await composer.press('Enter');
	await expect(composer).toHaveValue('');
}

test('two people on different chat nodes: one node is killed, the page moves by itself and nothing is lost', async ({ browser, pageErrors }) => {
	pageErrors.allow(/^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/socket\.io\/.*' failed: Error in connection establishment: net::ERR_CONNECTION_REFUSED$/, "Alice's node is killed on purpose: her socket's reconnection to it is refused until she is moved");
	test.setTimeout(120_000);
	test.skip(!(await clusterBackendsUp()), 'needs PostgreSQL and Redis');

	const cluster = await startBrowserCluster(browser, { chat: 2 });
	const { gateway, procs, nodeOf } = cluster;
	const t0 = Date.now();
	const mark = (what: string) => console.log(`[e2e cluster] ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
	try {
		mark('cluster up');

		// Accounts and the friendship through the API, then every bot gone so both nodes are empty again.
		const alice = await cluster.signUp('Alice Liddell');
		const bob = await cluster.signUp('Bob Builder');
		const [botA, botB] = [await connectBot(gateway.url, alice), await connectBot(gateway.url, bob)];
		await befriend(botA, botB);
		botA.close();
		botB.close();
		await expect.poll(async () => ((await (await fetch(`${gateway.url}/healthz`)).json()).nodes as Array<{ connections: number }>).every((n) => n.connections === 0)).toBe(true);

		// Signed in through the login page, watching which node each page's socket goes to.
		const A = await cluster.signIn(alice);
		const B = await cluster.signIn(bob);
		const aliceNode = nodeOf(A.page);
		const bobNode = nodeOf(B.page);
		expect(aliceNode).not.toBe(bobNode);
		mark(`signed in: Alice on ${aliceNode}, Bob on ${bobNode}`);

		await threadItem(A.page, 'Bob Builder').click();
		await threadItem(B.page, 'Alice Liddell').click();
		await send(A.page, 'Bob Builder', 'before the crash');
		await expect(bubble(B.page, 'before the crash')).toHaveCount(1);
		await send(B.page, 'Alice Liddell', 'got it');
		await expect(bubble(A.page, 'got it')).toHaveCount(1);

		// kill -9 of Alice's node. She writes at once; the page reconnects through the gateway by itself.
		const victim = procs.find((p) => p.name === aliceNode)!;
		victim.child.kill('SIGKILL');
		const killedAt = Date.now();
		mark(`killed ${aliceNode}`);
		await send(A.page, 'Bob Builder', 'written as my node died');
		// Alice's page is on Bob's node now (the only one alive).
		await expect.poll(() => nodeOf(A.page), { timeout: 20_000 }).toBe(bobNode);
		mark(`Alice's page reconnected to ${bobNode} ${Date.now() - killedAt} ms after the kill`);
		await expect(bubble(B.page, 'written as my node died')).toHaveCount(1, { timeout: 20_000 });
		await send(B.page, 'Alice Liddell', 'and after it');
		await send(A.page, 'Bob Builder', 'still here');
		for (const page of [A.page, B.page]) {
			for (const text of ['before the crash', 'got it', 'written as my node died', 'and after it', 'still here']) await expect(bubble(page, text)).toHaveCount(1);
		}
		await expect(A.page.getByTestId('connection-banner')).toBeHidden();
		mark('conversation complete on both pages, each message once');
		await A.context.close();
		await B.context.close();
	} finally {
		await cluster.stop();
	}
});

test('a video call between two chat nodes, carried by a media node of its own: both decode video; hang-up writes the line; the media node killed ends the next call on both pages with the reason', async ({ browser }) => {
	test.setTimeout(180_000);
	test.skip(!(await clusterBackendsUp()), 'needs PostgreSQL and Redis');
	test.skip(noWorker, 'no mediasoup worker: run `npm run setup:media`');
	expect('error' in worker ? worker.error : 'ok', 'CI needs a mediasoup worker').toBe('ok');

	// The production heartbeat (2 s): no chat node dies here, and at 300 ms a loaded machine's stall
	// declares one dead, which ends its people's calls.
	const cluster = await startBrowserCluster(browser, { chat: 2, media: 1, heartbeatMs: 2000 });
	try {
		const alice = await cluster.signUp('Alice Liddell');
		const bob = await cluster.signUp('Bob Builder');
		const [botA, botB] = [await connectBot(cluster.gateway.url, alice), await connectBot(cluster.gateway.url, bob)];
		const thread = await befriend(botA, botB);
		botA.close();
		botB.close();
		await expect.poll(async () => ((await (await fetch(`${cluster.gateway.url}/healthz`)).json()).nodes as Array<{ connections: number }>).every((n) => n.connections === 0)).toBe(true);
		const A = await cluster.signIn(alice);
		const B = await cluster.signIn(bob);
		expect(cluster.nodeOf(A.page)).not.toBe(cluster.nodeOf(B.page));
		// The chat nodes run ROLES=chat: only media-1 can carry the call.
		const health = await (await fetch(`${cluster.gateway.url}/healthz`)).json();
		expect(health.nodes.map((n: { id: string }) => n.id).sort()).toEqual(['chat-1', 'chat-2']);

		await A.page.goto(`/app/t/${thread.id}`);
		await A.page.getByRole('button', { name: 'Video call Bob Builder' }).click();
		const card = B.page.getByRole('alertdialog');
		await card.getByRole('button', { name: 'Accept video call from Alice Liddell' }).click();
		for (const page of [A.page, B.page]) await expect(page.getByTestId('call-view')).toHaveAttribute('data-phase', 'active', { timeout: 30_000 });
		for (const page of [A.page, B.page]) {
			await grows(page, (s) => s.inbound.video.framesDecoded, 5, 30_000);
			await grows(page, (s) => s.inbound.audio.bytes);
		}
		await B.page.getByRole('button', { name: 'Hang up' }).click();
		for (const page of [A.page, B.page]) await expect(page.getByTestId('call-view')).toBeHidden({ timeout: 15_000 });
		await expect(A.page.getByTestId('call-line').filter({ hasText: /^Video call · \d+ (s|min)$/ })).toBeVisible();

		// Again, and the media node is killed (-9) mid-call: both pages say why the call ended.
		await A.page.getByRole('button', { name: 'Video call Bob Builder' }).click();
		await B.page.getByRole('alertdialog').getByRole('button', { name: 'Accept video call from Alice Liddell' }).click();
		for (const page of [A.page, B.page]) await expect(page.getByTestId('call-view')).toHaveAttribute('data-phase', 'active', { timeout: 30_000 });
		await grows(B.page, (s) => s.inbound.video.framesDecoded, 5, 30_000);
		cluster.procs.find((p) => p.name === 'media-1')!.child.kill('SIGKILL');
		for (const page of [A.page, B.page]) await expect(page.getByTestId('call-status')).toHaveText("The call's media server stopped; start the call again", { timeout: 15_000 });
		// A failure stays on screen FAILED_SHOWN_MS from when it happened, which is before the status was seen:
		// waiting exactly that long raced the page's timer on a loaded machine.
		for (const page of [A.page, B.page]) await expect(page.getByTestId('call-view')).toBeHidden({ timeout: FAILED_SHOWN_MS + 5_000 });
	} finally {
		await cluster.stop();
	}
});
