import type { Action } from 'svelte/action';

/** Plays a MediaStream in a <video> or <audio> (srcObject cannot be set as an attribute). */
export const srcObject: Action<HTMLMediaElement, MediaStream | null> = (node, stream) => {
	const set = (s: MediaStream | null | undefined) => {
		if (node.srcObject === (s ?? null)) return;
		node.srcObject = s ?? null;
		if (s) void node.play().catch(() => undefined);
	};
	set(stream);
	return {
		update: set,
		destroy: () => {
			node.srcObject = null;
		}
	};
};
