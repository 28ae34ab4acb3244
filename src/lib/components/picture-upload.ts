import * as tus from 'tus-js-client';
import { UPLOAD_PATH } from '$lib/protocol';

/**
 * Sends a cropped square picture through tus: a profile photo (`purpose: avatar`) or a group's picture
 * (`purpose: group-avatar` with its `threadId`). A picture is small, so it is started again from nothing
 * rather than remembered for resuming. Resolves once the server took it; rejects with a line for people
 * that starts with `failed` ("Your photo was not saved", "The picture was not saved").
 */
export function uploadPicture(
	image: Blob,
	options: { name: string; metadata: Record<string, string>; failed: string; forbidden?: string; onProgress: (percent: number) => void }
): Promise<void> {
	return new Promise((resolve, reject) => {
		const up = new tus.Upload(image, {
			endpoint: UPLOAD_PATH,
			metadata: { filename: `${options.name}.${image.type === 'image/webp' ? 'webp' : 'jpg'}`, filetype: image.type, ...options.metadata },
			retryDelays: [0, 1000, 3000],
			storeFingerprintForResuming: false,
			onProgress: (sent, total) => options.onProgress(total > 0 ? Math.round((sent / total) * 100) : 0),
			onShouldRetry: (error) => {
				const status = (error as tus.DetailedError).originalResponse?.getStatus() ?? 0;
				return status === 0 || status === 409 || status === 423 || status >= 500;
			},
			onSuccess: () => resolve(),
			onError: (error) => reject(new Error(failureLine(error, options.failed, options.forbidden)))
		});
		up.start();
	});
}

function failureLine(error: Error, failed: string, forbidden: string | undefined): string {
	const response = (error as tus.DetailedError).originalResponse;
	const status = response?.getStatus() ?? 0;
	try {
		const parsed = JSON.parse(response?.getBody() ?? '') as { error?: { message?: string } };
		if (parsed.error?.message) return `${failed}: ${parsed.error.message}.`;
	} catch {
		// falls through
	}
	if (status === 0) return `${failed}: the server could not be reached. Check your connection and try again.`;
	if (status === 403 && forbidden) return `${failed}: ${forbidden}`;
	return `${failed} (HTTP ${status}). Try again.`;
}
