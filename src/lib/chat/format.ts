/**
 * How chat shows people and times. Pure functions of their input (and of `now`, passed in), so the
 * same message reads the same everywhere and the rules can be tested.
 */

/** Up to two letters for an avatar: the first letters of the first two words of the name. */
export function initials(name: string, fallback = '?'): string {
	const letters = name
		.trim()
		.split(/\s+/)
		.filter(Boolean)
		.slice(0, 2)
		.map((word) => [...word][0]?.toUpperCase() ?? '')
		.join('');
	return letters || fallback;
}

/** A stable hue (0 to 359) for a user id, so a person keeps their avatar colour on every device. */
export function hueOf(id: string): number {
	// FNV-1a: cheap and spreads similar ids (sequential ones too) across the circle.
	let hash = 0x811c9dc5;
	for (let i = 0; i < id.length; i++) {
		hash ^= id.charCodeAt(i);
		hash = Math.imul(hash, 0x01000193);
	}
	return (hash >>> 0) % 360;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * A cached Intl formatter: `toLocaleTimeString` and friends build a new one on every call, which made
 * them the single biggest cost of rendering bubbles while scrolling a long thread.
 */
function formatter(locale: string | undefined, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
	const key = `${locale ?? ''}|${JSON.stringify(options)}`;
	let f = formatters.get(key);
	if (!f) {
		f = new Intl.DateTimeFormat(locale, options);
		formatters.set(key, f);
	}
	return f;
}

function startOfDay(d: Date): number {
	return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** Whole calendar days from `then` to `now` in local time (0 = same day, 1 = yesterday). */
export function daysBetween(then: Date, now: Date): number {
	return Math.round((startOfDay(now) - startOfDay(then)) / 86_400_000);
}

/** A local-day key for grouping: `2024-03-09`. */
export function dayKey(d: Date): string {
	return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** A day separator: "Today", "Yesterday", or the date ("Saturday, 9 March", with the year if not this one). */
export function dayLabel(d: Date, now: Date, locale?: string): string {
	const days = daysBetween(d, now);
	if (days === 0) return 'Today';
	if (days === 1) return 'Yesterday';
	const options: Intl.DateTimeFormatOptions = { weekday: 'long', day: 'numeric', month: 'long' };
	if (d.getFullYear() !== now.getFullYear()) options.year = 'numeric';
	return formatter(locale, options).format(d);
}

/** A message's time of day, "14:05" or "2:05 PM" by locale. */
export function clockTime(d: Date, locale?: string): string {
	return formatter(locale, { hour: 'numeric', minute: '2-digit' }).format(d);
}

/** The full date and time, for a tooltip. */
export function fullTime(d: Date, locale?: string): string {
	return formatter(locale, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit' }).format(d);
}

/**
 * A short time for the thread list: "now", "5 min", today's clock time, "Yesterday", a weekday within
 * the week, else a short date.
 */
export function shortTime(d: Date, now: Date, locale?: string): string {
	const seconds = (now.getTime() - d.getTime()) / 1000;
	if (seconds < 60) return 'now';
	if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
	const days = daysBetween(d, now);
	if (days === 0) return clockTime(d, locale);
	if (days === 1) return 'Yesterday';
	if (days < 7) return formatter(locale, { weekday: 'short' }).format(d);
	if (d.getFullYear() === now.getFullYear()) return formatter(locale, { day: 'numeric', month: 'short' }).format(d);
	return formatter(locale, { day: 'numeric', month: 'short', year: 'numeric' }).format(d);
}

/** One line of a message for the thread list: whitespace folded, cut to `max` characters. */
export function preview(text: string, max = 120): string {
	const line = text.replace(/\s+/g, ' ').trim();
	const chars = [...line];
	return chars.length <= max ? line : `${chars.slice(0, max - 1).join('')}…`;
}

/** "1 message", "3 messages". */
export function plural(n: number, one: string, many = `${one}s`): string {
	return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}
