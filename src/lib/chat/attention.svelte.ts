/**
 * Whether the user can see the page: the tab is visible and the window has focus. Call during a
 * component's initialisation; the listeners go when the component does.
 */
export function pageAttention(): { readonly active: boolean } {
	let visible = $state(typeof document === 'undefined' ? true : document.visibilityState === 'visible');
	let focused = $state(typeof document === 'undefined' ? true : document.hasFocus());

	$effect(() => {
		const onVisibility = () => (visible = document.visibilityState === 'visible');
		const onFocus = () => (focused = true);
		const onBlur = () => (focused = false);
		document.addEventListener('visibilitychange', onVisibility);
		window.addEventListener('focus', onFocus);
		window.addEventListener('blur', onBlur);
		return () => {
			document.removeEventListener('visibilitychange', onVisibility);
			window.removeEventListener('focus', onFocus);
			window.removeEventListener('blur', onBlur);
		};
	});

	return {
		get active() {
			return visible && focused;
		}
	};
}
