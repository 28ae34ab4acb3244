/**
 * A short two-note chime made with WebAudio (no file to load). Browsers start audio only after the
 * user has interacted with the page; before that the context stays suspended and nothing sounds.
 */
let context: AudioContext | null = null;

export function playTone(): void {
	if (typeof AudioContext === 'undefined') return;
	try {
		context ??= new AudioContext();
		if (context.state === 'suspended') void context.resume().catch(() => undefined);
		const start = context.currentTime;
		for (const [offset, frequency] of [
			[0, 880],
			[0.12, 1320]
		] as const) {
			const osc = context.createOscillator();
			const gain = context.createGain();
			osc.type = 'sine';
			osc.frequency.value = frequency;
			gain.gain.setValueAtTime(0.0001, start + offset);
			gain.gain.exponentialRampToValueAtTime(0.15, start + offset + 0.02);
			gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.18);
			osc.connect(gain).connect(context.destination);
			osc.start(start + offset);
			osc.stop(start + offset + 0.2);
		}
		// For tests and for curious users: how many tones this page played.
		document.documentElement.dataset.tones = String(Number(document.documentElement.dataset.tones ?? 0) + 1);
	} catch {
		// No audio device: silence is fine.
	}
}
