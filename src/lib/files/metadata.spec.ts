import { describe, expect, it } from 'vitest';
import { metadataValue } from './metadata';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('metadataValue', () => {
	it('reads one key of a tus Upload-Metadata header, UTF-8 included', () => {
		const header = `filename ${b64('Grüße 📎.pdf')},filetype ${b64('application/pdf')}, fileId ${b64('abc123')},empty`;
		expect(metadataValue(header, 'fileId')).toBe('abc123');
		expect(metadataValue(header, 'filename')).toBe('Grüße 📎.pdf');
		expect(metadataValue(header, 'empty')).toBe('');
		expect(metadataValue(header, 'threadId')).toBeNull();
		expect(metadataValue('fileId !!!', 'fileId')).toBeNull();
	});
});
