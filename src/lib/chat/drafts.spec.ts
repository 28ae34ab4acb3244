import { describe, expect, it } from 'vitest';
import { Drafts } from './drafts';
import type { KeyValueStorage } from './outbox';

function memoryStorage(): KeyValueStorage & { data: Map<string, string> } {
	const data = new Map<string, string>();
	return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v), removeItem: (k) => void data.delete(k) };
}

describe('Drafts', () => {
	it('keeps one draft per user and thread, verbatim', () => {
		const storage = memoryStorage();
		new Drafts(storage, 'u1').set('t1', '  hello\nworld ');
		expect(storage.data.get('parley:draft:u1:t1')).toBe('  hello\nworld ');
		expect(new Drafts(storage, 'u1').get('t1')).toBe('  hello\nworld ');
		expect(new Drafts(storage, 'u2').get('t1')).toBe('');
		expect(new Drafts(storage, 'u1').get('t2')).toBe('');
	});
	it('removes a draft that is cleared or only whitespace', () => {
		const storage = memoryStorage();
		const drafts = new Drafts(storage, 'u1');
		drafts.set('t1', 'x');
		drafts.set('t1', '   ');
		expect(storage.data.size).toBe(0);
		drafts.set('t1', 'x');
		drafts.clear('t1');
		expect(storage.data.size).toBe(0);
	});
	it('works without storage, and when storage throws', () => {
		expect(new Drafts(null, 'u').get('t')).toBe('');
		const throwing: KeyValueStorage = {
			getItem: () => {
				throw new Error('denied');
			},
			setItem: () => {
				throw new Error('full');
			},
			removeItem: () => {}
		};
		const drafts = new Drafts(throwing, 'u');
		expect(() => drafts.set('t', 'x')).not.toThrow();
		expect(drafts.get('t')).toBe('');
	});
});
