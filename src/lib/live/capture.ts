import { DeviceError, explain, getLocalMedia } from '$lib/call/devices';

/** What a stream sends: its video track and, when there is sound, one audio track; `notice` says what is missing. */
export interface Capture {
	stream: MediaStream;
	video: MediaStreamTrack;
	audio: MediaStreamTrack | null;
	notice: string | null;
}

/**
 * Opens what the streamer chose: the camera and microphone, or a screen (a window, a tab) with its
 * sound when the browser and the person's choice give it. A stream without video is not a stream, so
 * a missing camera or a refused screen is a `DeviceError`; a missing microphone only a notice.
 */
export async function capture(source: 'camera' | 'screen'): Promise<Capture> {
	const stream = source === 'camera' ? await camera() : await screen();
	const video = stream.getVideoTracks()[0];
	if (!video) {
		for (const t of stream.getTracks()) t.stop();
		throw new DeviceError('missing', source === 'camera' ? 'No camera was found. Plug one in, or share your screen instead.' : 'No screen was picked to share.');
	}
	const audio = stream.getAudioTracks()[0] ?? null;
	const notice = audio ? null : source === 'screen' ? 'Your screen is live without sound: to share it, pick a tab or tick "Share audio" when choosing.' : 'You are live without sound: no microphone could be opened.';
	return { stream, video, audio, notice };
}

async function camera(): Promise<MediaStream> {
	try {
		return await getLocalMedia({ audio: true, video: true });
	} catch (error) {
		// A camera without a microphone still makes a stream; a refusal or no camera at all does not.
		if (!(error instanceof DeviceError) || error.problem === 'denied' || error.problem === 'insecure' || error.problem === 'unsupported') throw error;
		return getLocalMedia({ audio: false, video: true });
	}
}

async function screen(): Promise<MediaStream> {
	const md = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined;
	if (!md?.getDisplayMedia) throw new DeviceError('unsupported', 'This browser cannot share the screen.');
	try {
		// Audio: a tab's or the system's sound where the browser offers it (Chromium does, for tabs and on Windows).
		return await md.getDisplayMedia({ video: { frameRate: { ideal: 30, max: 30 } }, audio: true });
	} catch (error) {
		throw explain(error, 'screen');
	}
}
