import { redirect } from '@sveltejs/kit';
import { session } from '$lib/session.svelte';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ url }) => {
	if (await session.load()) redirect(307, safeNext(url.searchParams.get('next')));
	return { login: url.searchParams.get('login') ?? '', next: safeNext(url.searchParams.get('next')), ended: endedReason(url.searchParams.get('ended')) };
};

/** Only same-app paths: a `next` pointing elsewhere would make this page an open redirect. */
function safeNext(next: string | null): string {
	return next && /^\/app(\/|$|\?)/.test(next) ? next : '/app';
}

const ENDED = ['logout', 'password_changed', 'expired', 'replaced', 'revoked', 'account_deleted'] as const;
export type EndedReason = (typeof ENDED)[number];

/** Why the app sent the user here (`?ended=`), when it is one we can explain. */
function endedReason(value: string | null): EndedReason | null {
	return (ENDED as readonly string[]).includes(value ?? '') ? (value as EndedReason) : null;
}
