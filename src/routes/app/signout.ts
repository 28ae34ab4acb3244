import { getContext, setContext } from 'svelte';

const KEY = Symbol('signout');

/** Ends this device's session; set by the app layout, which also stops the chat connection. */
export type SignOut = () => Promise<void>;

export function setSignOut(signOut: SignOut): void {
	setContext(KEY, signOut);
}

export function getSignOut(): SignOut {
	const signOut = getContext<SignOut | undefined>(KEY);
	if (!signOut) throw new Error('getSignOut outside the app layout');
	return signOut;
}
