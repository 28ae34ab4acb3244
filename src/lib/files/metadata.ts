/** One value of a tus `Upload-Metadata` header (`key base64,key base64`). */
export function metadataValue(header: string, key: string): string | null {
	for (const pair of header.split(',')) {
		const [k, v = ''] = pair.trim().split(' ');
		if (k !== key) continue;
		try {
			return new TextDecoder().decode(Uint8Array.from(atob(v), (c) => c.charCodeAt(0)));
		} catch {
			return null;
		}
	}
	return null;
}
