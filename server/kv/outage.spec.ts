import net from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { log, type Logger } from '../logger.js';
import { outageSafePublisher } from './outage.js';

/** A port nothing listens on: a Redis that is away. */
async function closedPort(): Promise<number> {
	const server = net.createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as net.AddressInfo;
	await new Promise((resolve) => server.close(resolve));
	return port;
}

let client: Redis | undefined;
afterEach(() => client?.disconnect());

it('a publish while Redis is away resolves to 0 receivers instead of rejecting (socket.io publishes without waiting); other calls reach the client', async () => {
	client = new Redis(await closedPort(), '127.0.0.1', { maxRetriesPerRequest: 1, retryStrategy: () => 20 });
	client.on('error', () => undefined);
	// The plain client rejects: un-awaited, as the adapter does it, that ended the process.
	await expect(client.publish('c', 'm')).rejects.toThrow(/max retries per request/);
	const warned: string[] = [];
	const logger = Object.assign(Object.create(log) as Logger, { warn: (message: string) => void warned.push(message) });
	const safe = outageSafePublisher(client, 'test', logger);
	await expect(safe.publish('c', 'm')).resolves.toBe(0);
	await expect(safe.publish('c', 'm')).resolves.toBe(0);
	// Once per outage, not per event.
	expect(warned).toHaveLength(1);
	expect(safe.status).toBe(client.status);
	await expect(safe.get('k')).rejects.toThrow(/max retries per request/);
});
