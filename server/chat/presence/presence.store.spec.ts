import { describe, expect, it } from 'vitest';
import { MemoryPresenceStore } from './presence.store.js';

describe('MemoryPresenceStore', () => {
	it("says which connection was a user's first and which their last, through one, two and three at once", async () => {
		const store = new MemoryPresenceStore();
		expect(await store.add('u', 'a')).toBe(true);
		expect(await store.add('u', 'a')).toBe(true); // the same connection again: still the only one
		expect(await store.add('u', 'b')).toBe(false);
		expect(await store.add('u', 'c')).toBe(false);
		expect(await store.onlineAmong(['u', 'v'])).toEqual(new Set(['u']));
		expect(await store.remove('u', 'b')).toBe(false);
		expect(await store.remove('u', 'b')).toBe(false); // unknown by now
		expect(await store.remove('u', 'a')).toBe(false);
		expect(await store.onlineAmong(['u'])).toEqual(new Set(['u']));
		expect(await store.remove('u', 'c')).toBe(true);
		expect(await store.remove('u', 'c')).toBe(false);
		expect(await store.onlineAmong(['u'])).toEqual(new Set());
	});

	it('keeps users apart and forgets a connection it never counted', async () => {
		const store = new MemoryPresenceStore();
		expect(await store.add('u', 'a')).toBe(true);
		expect(await store.add('v', 'b')).toBe(true);
		expect(await store.remove('u', 'b')).toBe(false);
		expect(await store.remove('w', 'a')).toBe(false);
		expect(await store.onlineAmong(['u', 'v', 'w'])).toEqual(new Set(['u', 'v']));
		expect(await store.remove('v', 'b')).toBe(true);
		expect(await store.add('u', 'c')).toBe(false);
		expect(await store.remove('u', 'a')).toBe(false);
		expect(await store.remove('u', 'c')).toBe(true);
	});
});
