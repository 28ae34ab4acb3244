import { redirect } from '@sveltejs/kit';
import { session } from '$lib/session.svelte';
import type { PageLoad } from './$types';

export const load: PageLoad = async () => {
	redirect(307, (await session.load()) ? '/app' : '/login');
};
