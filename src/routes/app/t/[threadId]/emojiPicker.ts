/**
 * The composer's emoji picker (emoji-picker-element), loaded only when first opened so the chat's own
 * bundle does not carry it. Its data is ours (emoji-picker-element-data, emitted by Vite as an asset):
 * servers and users may have no way out to the CDN the picker would ask by default.
 */
import dataSource from 'emoji-picker-element-data/en/emojibase/data.json?url';

/**
 * A new <emoji-picker> element, styled under our Content-Security-Policy: the picker puts its styles in
 * a <style> element in its shadow root, which `style-src 'self'` refuses (with a console error). Before
 * the element is connected, that element is swapped for a constructed stylesheet with the same rules,
 * which goes through the CSSOM and is not subject to style-src.
 */
export async function loadEmojiPicker(): Promise<HTMLElement> {
	const { default: Picker } = await import('emoji-picker-element/picker.js');
	const picker = new Picker({ dataSource, locale: 'en' });
	const root = picker.shadowRoot;
	const style = root?.querySelector('style');
	if (root && style) {
		const sheet = new CSSStyleSheet();
		sheet.replaceSync(style.textContent ?? '');
		style.remove();
		root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
	}
	return picker;
}
