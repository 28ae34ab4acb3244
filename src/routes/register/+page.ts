import { redirect } from '@sveltejs/kit';
import { session } from '$lib/session.svelte';
import type { PageLoad } from './$types';

export const load: PageLoad = async () => {
	if (await session.load()) redirect(307, '/app');
};
