import { uploadPicture } from '../picture-upload';

/**
 * Sends a group's picture (the cropped square) with `purpose: group-avatar` and the group's `threadId`
 * (docs/PROTOCOL.md, "A group's picture"). Resolves once the server took it; the new `avatarUrl`
 * arrives with the group's `thread:updated`. Rejects with a message for people.
 */
export function uploadGroupPicture(threadId: string, image: Blob, onProgress: (percent: number) => void): Promise<void> {
	return uploadPicture(image, {
		name: 'group',
		metadata: { purpose: 'group-avatar', threadId },
		failed: 'The picture was not saved',
		forbidden: 'only the owner and admins change it.',
		onProgress
	});
}
