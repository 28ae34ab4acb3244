import { redirect } from '@sveltejs/kit';
import { session } from '$lib/session.svelte';
import type { LayoutLoad } from './$types';

// The guard: nothing under /app renders without a signed-in user.
export const load: LayoutLoad = async ({ url }) => {
	if (!(await session.load())) redirect(307, `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
};
