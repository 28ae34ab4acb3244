import { createSubscriber } from 'svelte/reactivity';

let current = new Date();

// Ticks only while something on screen reads the time ("5 min" in the thread list), then stops.
const subscribe = createSubscriber((update) => {
	current = new Date();
	update();
	const timer = setInterval(() => {
		current = new Date();
		update();
	}, 30_000);
	return () => clearInterval(timer);
});

/** The current time, refreshed every 30 s for whatever reads it reactively. */
export const clock = {
	get now(): Date {
		subscribe();
		return current;
	}
};
