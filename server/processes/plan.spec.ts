import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { chatProcessPlan } from './plan.js';

const base = { PORT: '4000', PUBLIC_URL: 'http://chat.example.org:4000', NODE_ID: 'box', REDIS_URL: 'redis://127.0.0.1:6379', DATA_DIR: '/tmp/parley-plan' };

describe('CHAT_PROCESSES', () => {
	it('is 1 by default and then keeps the chat role here', () => {
		const config = loadConfig(base);
		expect(config.chatProcesses).toBe(1);
		expect(chatProcessPlan(config)).toBeNull();
	});

	it('moves the chat role to N chat nodes on the next ports, allowed to the app origin and named in its CSP', () => {
		const plan = chatProcessPlan(loadConfig({ ...base, CHAT_PROCESSES: '2' }))!;
		expect(plan.children).toEqual([
			{ name: 'box-chat-1', url: 'http://chat.example.org:4001', env: { ROLES: 'chat', PORT: '4001', PUBLIC_URL: 'http://chat.example.org:4001', NODE_ID: 'box-chat-1', CORS_ORIGINS: 'http://chat.example.org:4000', CHAT_PROCESSES: '1' } },
			{ name: 'box-chat-2', url: 'http://chat.example.org:4002', env: { ROLES: 'chat', PORT: '4002', PUBLIC_URL: 'http://chat.example.org:4002', NODE_ID: 'box-chat-2', CORS_ORIGINS: 'http://chat.example.org:4000', CHAT_PROCESSES: '1' } }
		]);
		expect(plan.parent).toEqual({ ROLES: 'gateway,balance,files,media', NODE_ID: 'box', CHAT_PROCESSES: '1', CHAT_ORIGINS: 'http://chat.example.org:4001,http://chat.example.org:4002' });
		// What the parent runs with reads back as a valid config of its own.
		const parent = loadConfig({ ...base, CHAT_PROCESSES: '2', ...plan.parent });
		expect(parent.roles).not.toContain('chat');
		expect(parent.chatOrigins).toEqual(['http://chat.example.org:4001', 'http://chat.example.org:4002']);
	});

	it('takes a URL template for processes behind a proxy, keeps CHAT_ORIGINS given, and only supervises when chat was its one role', () => {
		const plan = chatProcessPlan(
			loadConfig({ ...base, ROLES: 'chat', CHAT_PROCESSES: '3', CHAT_PROCESS_URL: 'https://c{n}.example.org/', CHAT_ORIGINS: 'https://*.other.org' })
		)!;
		expect(plan.children.map((c) => [c.url, c.env.PORT])).toEqual([
			['https://c1.example.org', '4001'],
			['https://c2.example.org', '4002'],
			['https://c3.example.org', '4003']
		]);
		expect(plan.parent).toBeNull();
		const gateway = chatProcessPlan(loadConfig({ ...base, CHAT_PROCESSES: '2', CHAT_ORIGINS: 'https://*.other.org' }))!;
		expect(gateway.parent?.CHAT_ORIGINS).toBe('https://*.other.org,http://chat.example.org:4001,http://chat.example.org:4002');
	});

	it('keeps a default (random) NODE_ID as the prefix of its children', () => {
		const { NODE_ID: _, ...noId } = base;
		const config = loadConfig({ ...noId, CHAT_PROCESSES: '2' });
		const plan = chatProcessPlan(config)!;
		expect(loadConfig({ ...noId, CHAT_PROCESSES: '2', ...plan.parent }).nodeId).toBe(config.nodeId);
		expect(plan.children[0].name).toBe(`${config.nodeId}-chat-1`);
	});

	it('auto is one per core; refusals name what is missing', () => {
		expect(loadConfig({ ...base, CHAT_PROCESSES: 'auto' }).chatProcesses).toBeGreaterThanOrEqual(1);
		const refused = (env: Record<string, string>) => {
			try {
				loadConfig({ ...base, ...env });
			} catch (error) {
				expect(error).toBeInstanceOf(ConfigError);
				return (error as Error).message;
			}
			return 'accepted';
		};
		expect(refused({ CHAT_PROCESSES: '2', REDIS_URL: '' })).toMatch(/^config: CHAT_PROCESSES is 2: several chat processes need REDIS_URL/);
		expect(refused({ CHAT_PROCESSES: '2', ROLES: 'gateway' })).toBe('config: CHAT_PROCESSES is 2 but ROLES has no chat role to spread over processes');
		expect(refused({ CHAT_PROCESSES: '2', PORT: '0' })).toMatch(/needs a PORT from 1 to 65533, got 0$/);
		expect(refused({ CHAT_PROCESSES: '0' })).toBe('config: CHAT_PROCESSES must be between 1 and 64, got 0');
		expect(refused({ CHAT_PROCESSES: 'two' })).toBe('config: CHAT_PROCESSES must be a whole number, got "two"');
		expect(refused({ CHAT_PROCESSES: '2', CHAT_PROCESS_URL: 'http://c.example.org' })).toBe('config: CHAT_PROCESS_URL must name each process by {n} or {port}, got "http://c.example.org"');
	});
});
