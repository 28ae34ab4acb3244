/**
 * Cameras, microphones and the screen: getUserMedia / getDisplayMedia with the errors browsers throw
 * turned into messages a person can act on.
 */

export type DeviceProblem = 'denied' | 'missing' | 'busy' | 'insecure' | 'unsupported' | 'cancelled' | 'failed';

export class DeviceError extends Error {
	constructor(
		readonly problem: DeviceProblem,
		message: string
	) {
		super(message);
		this.name = 'DeviceError';
	}
}

export interface DeviceList {
	microphones: MediaDeviceInfo[];
	cameras: MediaDeviceInfo[];
}

function what(kind: { audio: boolean; video: boolean }): string {
	return kind.audio && kind.video ? 'camera and microphone' : kind.video ? 'camera' : 'microphone';
}

/** The browser's error as a `DeviceError` with a message saying what to do. */
export function explain(error: unknown, kind: { audio: boolean; video: boolean } | 'screen'): DeviceError {
	if (error instanceof DeviceError) return error;
	const name = error instanceof DOMException || error instanceof Error ? error.name : '';
	const thing = kind === 'screen' ? 'screen sharing' : `the ${what(kind)}`;
	switch (name) {
		case 'NotAllowedError':
		case 'SecurityError':
			return kind === 'screen'
				? new DeviceError('cancelled', 'Screen sharing was cancelled or not allowed.')
				: new DeviceError('denied', `Parley may not use ${thing}. Allow it in the browser's site settings (the icon left of the address), then try again.`);
		case 'NotFoundError':
		case 'OverconstrainedError':
			return new DeviceError('missing', `No ${kind === 'screen' ? 'screen to share' : what(kind)} was found. Plug one in or pick another in the device settings.`);
		case 'NotReadableError':
		case 'AbortError':
			return new DeviceError('busy', `${thing[0].toUpperCase()}${thing.slice(1)} is in use by another program or could not be started. Close the other program and try again.`);
		default:
			return new DeviceError('failed', `Could not start ${thing}: ${error instanceof Error ? error.message : String(error)}`);
	}
}

function mediaDevices(): MediaDevices {
	if (typeof navigator === 'undefined' || !navigator.mediaDevices?.getUserMedia) {
		if (typeof window !== 'undefined' && !window.isSecureContext) {
			throw new DeviceError('insecure', 'Calls need a secure page: open Parley over https (or on localhost).');
		}
		throw new DeviceError('unsupported', 'This browser cannot use cameras or microphones.');
	}
	return navigator.mediaDevices;
}

/** Microphone and (for video) camera, the chosen devices when given. */
export async function getLocalMedia(options: { audio: boolean; video: boolean; microphoneId?: string; cameraId?: string }): Promise<MediaStream> {
	const md = mediaDevices();
	try {
		return await md.getUserMedia({
			audio: options.audio ? { deviceId: options.microphoneId ? { exact: options.microphoneId } : undefined, echoCancellation: true, noiseSuppression: true, autoGainControl: true } : false,
			video: options.video ? { deviceId: options.cameraId ? { exact: options.cameraId } : undefined, width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } } : false
		});
	} catch (error) {
		throw explain(error, options);
	}
}

/** One track of the screen (or a window or tab), as the person picks. */
export async function getScreen(): Promise<MediaStreamTrack> {
	const md = mediaDevices();
	if (!md.getDisplayMedia) throw new DeviceError('unsupported', 'This browser cannot share the screen.');
	try {
		const stream = await md.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
		return stream.getVideoTracks()[0];
	} catch (error) {
		throw explain(error, 'screen');
	}
}

/** The cameras and microphones (labels only once a permission was given). */
export async function listDevices(): Promise<DeviceList> {
	const devices = await mediaDevices().enumerateDevices();
	return { microphones: devices.filter((d) => d.kind === 'audioinput'), cameras: devices.filter((d) => d.kind === 'videoinput') };
}

/** Stops every track of a stream. */
export function stopStream(stream: MediaStream | null | undefined): void {
	for (const track of stream?.getTracks() ?? []) track.stop();
}

/**
 * A level meter on an audio track (0 to 1, about 10 times a second), for the speaking indicator and the
 * microphone check. Returns the stop function.
 */
export function watchLevel(track: MediaStreamTrack, onLevel: (level: number) => void): () => void {
	const AudioCtx = typeof window !== 'undefined' ? (window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext) : undefined;
	if (!AudioCtx) return () => {};
	const ctx = new AudioCtx();
	const source = ctx.createMediaStreamSource(new MediaStream([track]));
	const analyser = ctx.createAnalyser();
	analyser.fftSize = 512;
	source.connect(analyser);
	const data = new Uint8Array(analyser.fftSize);
	const timer = setInterval(() => {
		analyser.getByteTimeDomainData(data);
		let sum = 0;
		for (const v of data) sum += ((v - 128) / 128) ** 2;
		onLevel(Math.min(1, Math.sqrt(sum / data.length) * 4));
	}, 100);
	return () => {
		clearInterval(timer);
		source.disconnect();
		void ctx.close();
	};
}
