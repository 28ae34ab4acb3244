import { describe, expect, it } from 'vitest';
import { Outbox, type KeyValueStorage } from './outbox';

function memoryStorage(): KeyValueStorage & { data: Map<string, string> } {
	const data = new Map<string, string>();
	return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v), removeItem: (k) => void data.delete(k) };
}

describe('Outbox', () => {
	it('keeps pending messages across a reload, in the order written', () => {
		const storage = memoryStorage();
		const a = new Outbox(storage, 'k');
		a.add('t1', 'first', 'c1');
		a.add('t2', 'second', 'c2');
		const b = new Outbox(storage, 'k');
		expect(b.items.map((p) => [p.clientId, p.threadId, p.text, p.state])).toEqual([
			['c1', 't1', 'first', 'sending'],
			['c2', 't2', 'second', 'sending']
		]);
		expect(b.next()?.clientId).toBe('c1');
	});

	it('skips failed messages until retried, and removes acked ones', () => {
		const storage = memoryStorage();
		const o = new Outbox(storage, 'k');
		o.add('t', 'one', 'c1');
		o.add('t', 'two', 'c2');
		o.fail('c1', 'text is too long');
		expect(o.next()?.clientId).toBe('c2');
		expect(o.items[0]).toMatchObject({ state: 'failed', error: 'text is too long' });
		expect(o.remove('c2')).toBe(true);
		expect(o.remove('c2')).toBe(false);
		expect(o.next()).toBeUndefined();
		o.retry('c1');
		expect(o.next()?.clientId).toBe('c1');
		o.remove('c1');
		expect(storage.data.has('k')).toBe(false);
	});

	it('ignores corrupt storage instead of failing', () => {
		const storage = memoryStorage();
		storage.setItem('k', '{not json');
		expect(new Outbox(storage, 'k').items).toEqual([]);
		storage.setItem('k', JSON.stringify([{ clientId: 1 }, { clientId: 'c', threadId: 't', text: 'ok', state: 'sending', createdAt: '' }]));
		expect(new Outbox(storage, 'k').items.map((p) => p.clientId)).toEqual(['c']);
	});

	it('takes the list another tab stored, so the two do not overwrite each other', () => {
		const storage = memoryStorage();
		const seen: string[][] = [];
		const a = new Outbox(storage, 'k', (items) => seen.push(items.map((p) => p.clientId)));
		const b = new Outbox(storage, 'k');
		b.add('t', 'from b', 'cb');
		a.reload();
		expect(a.items.map((p) => p.clientId)).toEqual(['cb']);
		a.add('t', 'from a', 'ca');
		expect(new Outbox(storage, 'k').items.map((p) => p.clientId)).toEqual(['cb', 'ca']);
		expect(seen).toEqual([['cb'], ['cb', 'ca']]);
	});

	it('reports every change', () => {
		const seen: number[] = [];
		const o = new Outbox(null, 'k', (items) => seen.push(items.length));
		o.add('t', 'x', 'c');
		o.remove('c');
		expect(seen).toEqual([1, 0]);
	});
});
