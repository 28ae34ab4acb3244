import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		adapter: adapter({ out: 'build', precompress: true }),
		alias: { $protocol: 'src/lib/protocol' },
		// The pages' Content-Security-Policy (docs/PROTOCOL.md, Security headers). Pages are rendered per
		// request (ssr = false: the shell only), so 'auto' gives SvelteKit's inline bootstrap script a fresh
		// nonce each time. The server adds the chat nodes' origins (CHAT_ORIGINS) to connect-src.
		csp: {
			mode: 'auto',
			directives: {
				'default-src': ['self'],
				'script-src': ['self'],
				// Stylesheets and <style> elements: ours only (SvelteKit's nonce). Style attributes: SvelteKit's
				// own root puts one on its route announcer (a static template, so no nonce or hash of ours can
				// follow it across versions); Svelte's style: and style= go through the CSSOM, which CSP does not
				// govern. Attributes cannot select or load anything beyond img-src, so that much inline is kept.
				'style-src': ['self'],
				'style-src-attr': ['unsafe-inline'],
				// blob: the avatar cropper shows the picked file through an object URL.
				'img-src': ['self', 'blob:'],
				// Calls play MediaStreams through srcObject, which CSP does not govern either.
				'media-src': ['self'],
				// 'self' covers the same host's ws: and wss: too (CSP 3).
				'connect-src': ['self'],
				'object-src': ['none'],
				'frame-src': ['none'],
				'base-uri': ['self'],
				'form-action': ['self'],
				'frame-ancestors': ['none']
			}
		}
	}
};

export default config;
