/**
 * The tab's icon with the unread count on it. The icon is SVG (static/favicon.svg) with a red badge
 * added; it is handed to the browser as a blob: URL, which the pages' CSP allows for images (a data:
 * URL it does not).
 */

/** The SVG of the icon with `count` on a badge (none when 0; "99+" above 99). */
export function badgedIcon(base: string, count: number): string {
	if (count <= 0) return base;
	const label = count > 99 ? '99+' : String(count);
	const size = label.length > 2 ? 22 : label.length > 1 ? 26 : 30;
	const badge =
		`<circle cx="46" cy="18" r="18" fill="#dc2626" stroke="#fff" stroke-width="3"/>` +
		`<text x="46" y="18" dy="0.35em" text-anchor="middle" font-family="system-ui,sans-serif" font-weight="700" font-size="${size}" fill="#fff">${label}</text>`;
	return base.replace(/<\/svg>\s*$/, `${badge}</svg>`);
}

/**
 * Keeps the page's `<link rel="icon">` showing `count`. Returns a function that sets the count
 * (fetches the plain icon once) and `stop`, which puts the plain icon back.
 */
export function faviconBadge(plainHref = '/favicon.svg'): { set(count: number): void; stop(): void } {
	let base: Promise<string> | null = null;
	// One blob URL per label, kept until `stop`: revoking the one shown last while the browser still
	// loads it made the icon fail (ERR_FILE_NOT_FOUND). At most 100 tiny blobs.
	const urls = new Map<string, string>();
	let wanted = 0;
	let stopped = false;
	const link = (): HTMLLinkElement => {
		let el = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
		if (!el) {
			el = document.createElement('link');
			el.rel = 'icon';
			document.head.append(el);
		}
		return el;
	};
	const show = (svg: string | null) => {
		const el = link();
		let url: string | undefined;
		if (svg !== null) {
			url = urls.get(svg);
			if (!url) urls.set(svg, (url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }))));
		}
		el.type = 'image/svg+xml';
		el.href = url ?? plainHref;
		el.dataset.unread = String(svg === null ? 0 : wanted);
	};
	return {
		set(count) {
			wanted = count;
			if (count <= 0) return show(null);
			base ??= fetch(plainHref).then((r) => (r.ok ? r.text() : Promise.reject(new Error(`${plainHref}: ${r.status}`))));
			base.then(
				(svg) => {
					if (!stopped && wanted === count) show(badgedIcon(svg, count));
				},
				() => {
					// No icon to draw on (offline before it was ever fetched): the title still counts.
					base = null;
				}
			);
		},
		stop() {
			stopped = true;
			show(null);
			// Later, so a load of the last one still under way is not cut off.
			const old = [...urls.values()];
			urls.clear();
			setTimeout(() => old.forEach((u) => URL.revokeObjectURL(u)), 10_000);
		}
	};
}
