import { redirect } from '@sveltejs/kit';
import { session } from '$lib/session.svelte';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ url }) => {
	if (await session.load()) redirect(307, safeNext(url.searchParams.get('next')));
	return { login: url.searchParams.get('login') ?? '', next: safeNext(url.searchParams.get('next')) };
};

/** Only same-app paths: a `next` pointing elsewhere would make this page an open redirect. */
function safeNext(next: string | null): string {
	return next && /^\/app(\/|$|\?)/.test(next) ? next : '/app';
}
