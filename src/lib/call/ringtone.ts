/**
 * Ringing (incoming call) and ringback (the caller waiting) made with WebAudio, so no sound file is
 * shipped. Returns the stop function. Browsers may refuse sound before the page was touched: then it
 * is silent, which the incoming-call card makes up for visually.
 */
export function startTone(kind: 'ring' | 'ringback'): () => void {
	const AudioCtx = typeof window !== 'undefined' ? window.AudioContext : undefined;
	if (!AudioCtx) return () => {};
	let ctx: AudioContext;
	try {
		ctx = new AudioCtx();
	} catch {
		return () => {};
	}
	const gain = ctx.createGain();
	gain.gain.value = 0;
	gain.connect(ctx.destination);
	// Ring: two short bursts of 440+480 Hz every 2 s; ringback: 1 s of 440+480 Hz every 4 s (North American cadence).
	const freqs = kind === 'ring' ? [480, 620] : [440, 480];
	const oscillators = freqs.map((f) => {
		const o = ctx.createOscillator();
		o.frequency.value = f;
		o.connect(gain);
		o.start();
		return o;
	});
	const level = kind === 'ring' ? 0.12 : 0.06;
	const period = kind === 'ring' ? 2 : 4;
	const schedule = () => {
		const t = ctx.currentTime;
		const bursts = kind === 'ring' ? [[0, 0.4], [0.6, 1.0]] : [[0, 1.0]];
		for (const [from, to] of bursts) {
			gain.gain.setValueAtTime(level, t + from);
			gain.gain.setValueAtTime(0, t + to);
		}
	};
	schedule();
	const timer = setInterval(schedule, period * 1000);
	return () => {
		clearInterval(timer);
		for (const o of oscillators) o.stop();
		void ctx.close();
	};
}

/** A call's ringing: its tone and, for a group call, when it stops ringing unanswered. */
export class Ringing {
	#stopTone: (() => void) | null = null;
	#timer: ReturnType<typeof setTimeout> | null = null;

	/** Plays `kind` in place of what played; with `giveUp`, runs `giveUp.then` after `giveUp.ms` unless stopped first. */
	start(kind: 'ring' | 'ringback', giveUp?: { ms: number; then: () => void }): void {
		this.stop();
		this.#stopTone = startTone(kind);
		if (giveUp) this.#timer = setTimeout(giveUp.then, giveUp.ms);
	}

	stop(): void {
		this.#stopTone?.();
		this.#stopTone = null;
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = null;
	}
}
