import { describe, expect, it } from 'vitest';
import { findMatch, fingerprintOf, forgetStoredUploads, keyMatches, mismatchReason, unfinishedFor } from './resume';

const file = { name: 'report-final.pdf', type: 'application/pdf', size: 4194304, lastModified: 1_700_000_000_000 };
const key = `tus::tus-br-report-final.pdf-application/pdf-4194304-1700000000000-/files/::123456`;

describe('resume matching', () => {
	it("makes tus-js-client's browser fingerprint", () => {
		expect(fingerprintOf(file, '/files/')).toBe('tus-br-report-final.pdf-application/pdf-4194304-1700000000000-/files/');
	});

	it('matches the same file, and not one that differs in name, type, size or modification time', () => {
		expect(keyMatches(key, file, '/files/')).toBe(true);
		expect(keyMatches(key, { ...file, name: 'report.pdf' }, '/files/')).toBe(false);
		expect(keyMatches(key, { ...file, type: '' }, '/files/')).toBe(false);
		expect(keyMatches(key, { ...file, size: 4194303 }, '/files/')).toBe(false);
		expect(keyMatches(key, { ...file, lastModified: 1_700_000_000_001 }, '/files/')).toBe(false);
		expect(keyMatches(key, file, '/other/')).toBe(false);
		// A prefix of the modification time is not the same time.
		expect(keyMatches(key, { ...file, lastModified: 170000000000 }, '/files/')).toBe(false);
	});

	it("lists a thread's unfinished uploads except those an upload of the page took over", () => {
		const list = [
			{ key: 'a', url: 'http://x/files/a', threadId: 't1' },
			{ key: 'b', url: 'http://x/files/b', threadId: 't2' },
			{ key: 'c', url: 'http://x/files/c', threadId: 't1' },
			{ key: 'd', url: null, threadId: 't1' },
			{ key: 'e', url: 'http://x/files/e', threadId: null }
		];
		expect(unfinishedFor(list, 't1', new Set()).map((u) => u.key)).toEqual(['a', 'c']);
		expect(unfinishedFor(list, 't1', new Set(['http://x/files/a'])).map((u) => u.key)).toEqual(['c']);
	});

	it('finds the unfinished upload a dropped file continues', () => {
		const list = [
			{ key: 'tus::tus-br-other.bin--3-1-/files/::1', url: 'u1', threadId: 't' },
			{ key, url: 'u2', threadId: 't' }
		];
		expect(findMatch(list, file, '/files/')?.url).toBe('u2');
		expect(findMatch(list, { ...file, size: 1 }, '/files/')).toBeUndefined();
	});

	it('says why another file cannot resume it', () => {
		expect(mismatchReason({ name: 'a.pdf', size: 10 }, { ...file, name: 'b.pdf' })).toMatch(/^That is b\.pdf, not a\.pdf/);
		expect(mismatchReason({ name: file.name, size: 10 }, file)).toMatch(/not the same size/);
		expect(mismatchReason({ name: file.name, size: file.size }, file)).toMatch(/not the same file/);
	});
});

describe('forgetStoredUploads', () => {
	/** A Storage-like map, with Storage's index order. */
	function storage(entries: Record<string, string>) {
		const map = new Map(Object.entries(entries));
		return {
			map,
			get length() {
				return map.size;
			},
			key: (i: number) => [...map.keys()][i] ?? null,
			removeItem: (k: string) => void map.delete(k)
		};
	}

	it("removes every tus:: key, however many sit side by side, and nothing else", () => {
		const s = storage({ 'tus::a::1': '{}', 'tus::b::2': '{}', 'parley.uploadChunkBytes': '65536', 'tus::c::3': '{}', 'xtus::d': '{}', tusSupport: 'null' });
		expect(forgetStoredUploads(s)).toBe(3);
		expect([...s.map.keys()].sort()).toEqual(['parley.uploadChunkBytes', 'tusSupport', 'xtus::d']);
		expect(forgetStoredUploads(s)).toBe(0);
	});
});
