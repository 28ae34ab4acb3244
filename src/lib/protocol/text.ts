/**
 * True when `text` holds a control character: C0 (U+0000..U+001F), DEL (U+007F) or C1
 * (U+0080..U+009F, e.g. U+0085 NEXT LINE), other than those in `allowed`. Such characters would let
 * a name fake line breaks or hide text in other people's UI; one rule for every field that refuses them.
 * @param allowed characters the field keeps (a bio's `\t\n\r`); default none
 */
export function hasControlCharacters(text: string, allowed = ''): boolean {
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if ((c <= 0x1f || (c >= 0x7f && c <= 0x9f)) && !allowed.includes(text[i])) return true;
	}
	return false;
}
