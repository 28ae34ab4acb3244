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

const streams = new WeakMap<MediaStreamTrack, MediaStream>();

/** One stable MediaStream per track (a media element plays streams, not tracks). */
export function streamOf(track: MediaStreamTrack | null | undefined): MediaStream | null {
	if (!track) return null;
	let stream = streams.get(track);
	if (!stream) streams.set(track, (stream = new MediaStream([track])));
	return stream;
}

/** Calls `onchange` with whether the element is on screen (in its scrolling box) whenever that changes. */
export const onVisible: Action<HTMLElement, (visible: boolean) => void> = (node, onchange) => {
	let callback = onchange;
	if (typeof IntersectionObserver === 'undefined') return;
	const observer = new IntersectionObserver((entries) => {
		for (const e of entries) callback(e.isIntersecting);
	});
	observer.observe(node);
	return {
		update: (next) => (callback = next),
		destroy: () => observer.disconnect()
	};
};
