/** What the user chose in Settings > Appearance, per device. */
export type ThemeChoice = 'system' | 'light' | 'dark';

/** The localStorage key the inline script in src/app.html reads before the first paint. */
export const THEME_KEY = 'parley.theme';

export function themeChoice(): ThemeChoice {
	try {
		const stored = localStorage.getItem(THEME_KEY);
		return stored === 'light' || stored === 'dark' ? stored : 'system';
	} catch {
		return 'system';
	}
}

/**
 * Stores the choice (system: none stored) and applies it at once: the inline script of src/app.html
 * listens for `parley-theme` and sets `data-theme` on <html> (other tabs follow through `storage`).
 */
export function setThemeChoice(choice: ThemeChoice): void {
	try {
		if (choice === 'system') localStorage.removeItem(THEME_KEY);
		else localStorage.setItem(THEME_KEY, choice);
	} catch {
		// Storage refused (private mode): the choice lasts for this page only.
		document.documentElement.dataset.theme = choice === 'system' ? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light') : choice;
		return;
	}
	dispatchEvent(new Event('parley-theme'));
}
