/**
 * The browser and operating system a `User-Agent` header names, for Settings > Devices: a family and
 * the browser's major version ("Firefox 128", "Windows"), or null when it names none we know. Only a
 * label for people to recognise their devices by; nothing decides on it.
 *
 * Order matters: browsers built on Chromium carry `Chrome/` and `Safari/` too, and every iOS browser
 * is WebKit with `Safari/`, so the more specific tokens are tried first.
 */
export interface DeviceLabel {
	browser: string | null;
	os: string | null;
}

const BROWSERS: ReadonlyArray<readonly [RegExp, string]> = [
	[/\bEdg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
	[/\bOPR\/(\d+)/, 'Opera'],
	[/\bOPiOS\/(\d+)/, 'Opera'],
	[/\bSamsungBrowser\/(\d+)/, 'Samsung Internet'],
	[/\bVivaldi\/(\d+)/, 'Vivaldi'],
	[/\bYaBrowser\/(\d+)/, 'Yandex Browser'],
	[/\bFxiOS\/(\d+)/, 'Firefox'],
	[/\bFirefox\/(\d+)/, 'Firefox'],
	[/\bCriOS\/(\d+)/, 'Chrome'],
	[/\bHeadlessChrome\/(\d+)/, 'Headless Chrome'],
	[/\bChromium\/(\d+)/, 'Chromium'],
	[/\bChrome\/(\d+)/, 'Chrome'],
	// Safari says its own version in `Version/`; `Safari/` is the WebKit build.
	[/\bVersion\/(\d+)(?:\.\d+)*(?: Mobile\/\S+)? Safari\//, 'Safari'],
	[/^curl\/(\d+)/, 'curl'],
	[/^node(?:-fetch)?(?:\/(\d+))?/i, 'Node.js']
];

const SYSTEMS: ReadonlyArray<readonly [RegExp, string]> = [
	[/\b(?:iPhone|iPod)\b/, 'iOS'],
	[/\biPad\b/, 'iPadOS'],
	[/\bAndroid\b/, 'Android'],
	[/\bCrOS\b/, 'ChromeOS'],
	[/\bWindows Phone\b/, 'Windows Phone'],
	[/\bWindows\b/, 'Windows'],
	[/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
	[/\bUbuntu\b/, 'Ubuntu'],
	[/\bFedora\b/, 'Fedora'],
	[/\b(?:Free|Open|Net)BSD\b/, 'BSD'],
	[/\bLinux\b|\bX11\b/, 'Linux']
];

/** At most this much of the header is looked at (the stored one is cut to 255 characters anyway). */
const MAX_LENGTH = 512;

export function parseUserAgent(userAgent: string | null | undefined): DeviceLabel {
	const ua = (userAgent ?? '').slice(0, MAX_LENGTH);
	if (!ua.trim()) return { browser: null, os: null };
	return { browser: first(BROWSERS, ua, true), os: first(SYSTEMS, ua, false) };
}

function first(table: ReadonlyArray<readonly [RegExp, string]>, ua: string, versioned: boolean): string | null {
	for (const [pattern, name] of table) {
		const match = pattern.exec(ua);
		if (match) return versioned && match[1] ? `${name} ${match[1]}` : name;
	}
	return null;
}
