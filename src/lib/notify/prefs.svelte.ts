/**
 * This device's notification settings, kept in localStorage (another device of the same user may want
 * otherwise: a muted phone, a desktop that beeps). One instance per page: `notifyPrefs`.
 */
const KEYS = { sound: 'parley:notify:sound', desktop: 'parley:notify:desktop', hidePreviews: 'parley:notify:hide-previews' } as const;

type Name = keyof typeof KEYS;

function read(name: Name, fallback: boolean): boolean {
	try {
		const value = typeof localStorage === 'undefined' ? null : localStorage.getItem(KEYS[name]);
		return value === null ? fallback : value === '1';
	} catch {
		return fallback;
	}
}

function write(name: Name, value: boolean): void {
	try {
		localStorage.setItem(KEYS[name], value ? '1' : '0');
	} catch {
		// Storage full or refused (private mode): the setting holds for this page only.
	}
}

export class NotifyPrefs {
	#sound = $state(read('sound', true));
	#desktop = $state(read('desktop', true));
	#hidePreviews = $state(read('hidePreviews', false));

	/** A short tone for a new message in a thread not in view. Default on. */
	get sound(): boolean {
		return this.#sound;
	}
	set sound(value: boolean) {
		this.#sound = value;
		write('sound', value);
	}
	/**
	 * Desktop notifications while the tab is hidden, once the browser's permission is granted (a page
	 * cannot take a granted permission back, so this is the way to turn them off). Default on.
	 */
	get desktop(): boolean {
		return this.#desktop;
	}
	set desktop(value: boolean) {
		this.#desktop = value;
		write('desktop', value);
	}
	/** Notifications say who wrote, not what. Default off. */
	get hidePreviews(): boolean {
		return this.#hidePreviews;
	}
	set hidePreviews(value: boolean) {
		this.#hidePreviews = value;
		write('hidePreviews', value);
	}
}

export const notifyPrefs = new NotifyPrefs();
