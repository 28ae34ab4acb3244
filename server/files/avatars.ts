import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Kysely } from 'kysely';
import sharp from 'sharp';
import { AVATAR_LIMITS, type ProfileResponse } from '../../src/lib/protocol/index.js';
import { requireSession } from '../auth/auth.handlers.js';
import type { AuthService } from '../auth/auth.service.js';
import { findProfile, setAvatar, toProfile } from '../auth/profile.repository.js';
import type { Database } from '../db/schema.js';
import { newId, nowIso } from '../db/ids.js';
import { AppError } from '../errors.js';
import type { Route } from '../http/http.js';
import type { Logger } from '../logger.js';
import { imageInput, isImageType, sniffType } from './content.js';
import { serve } from './download.js';
import type { UploadMeta } from './files.service.js';
import type { TrackedStore } from './storage/tracked.js';
import type { Blobs, Uploads } from './storage/types.js';

/**
 * Avatars (a docs/PROTOCOL.md extension): a tus upload whose metadata says `purpose: avatar` becomes
 * the uploader's picture instead of a file. On completion the bytes are sniffed, made into a square
 * WebP of AVATAR_LIMITS.px a side stored as `{avatarId}.webp` (FILES_STORE's pictures), and the upload itself is
 * removed: the picture is no file row, counts against no quota once done, and shows in no file list.
 * Each picture gets a new id, so `/files/avatars/{avatarId}` never changes content and is cached for good.
 */

export interface AvatarsDeps {
	db: Kysely<Database>;
	/** Where pictures go, `<avatarId>.webp`. */
	pictures: Blobs;
	uploads: Uploads;
	store: TrackedStore;
	/** Tells friends and the user's devices (`user:updated`), as a name change does. */
	profileChanged?: (userId: string) => void;
	/** Groups' pictures (`purpose: group-avatar`): the chat role's; undefined where it does not run. */
	groupPictures?: () => GroupPictures | undefined;
	log: Logger;
}

/** What the files role needs of the chat's groups (server/chat/conversations/groups.service.ts). */
export interface GroupPictures {
	/** Throws `not_found` (not a group of theirs) or `forbidden` (a member) unless `userId` may set the picture. */
	mayChangeAvatar(userId: string, threadId: string): Promise<void>;
	/** Makes `avatarId` the group's picture (an `avatar` system line); resolves to the one it replaced. */
	setAvatar(userId: string, threadId: string, avatarId: string): Promise<string | null>;
}

const AVATAR_PATH = /^\/files\/avatars\/([0-9a-z]{1,32})$/;

export class Avatars {
	constructor(private readonly deps: AvatarsDeps) {}

	/**
	 * Checked at creation, before any byte comes: the size, the declared type when there is one, and for
	 * a group's picture that the uploader is its owner or an admin.
	 */
	async admit(userId: string, size: number, meta: Omit<UploadMeta, 'fileId'>): Promise<void> {
		if (meta.purpose === 'group-avatar') await this.#groups().mayChangeAvatar(userId, meta.threadId!);
		if (size > AVATAR_LIMITS.maxBytes) {
			throw new AppError('payload_too_large', `a picture is at most ${AVATAR_LIMITS.maxBytes / 1024 / 1024} MiB; this one is ${(size / 1024 / 1024).toFixed(1)} MiB`);
		}
		if (meta.filetype !== undefined && !meta.filetype.toLowerCase().startsWith('image/')) {
			throw new AppError('unsupported_media_type', `a picture must be an image (PNG, JPEG, WebP, GIF, AVIF or TIFF), not ${meta.filetype}`);
		}
	}

	/**
	 * Turns the finished upload into the owner's picture and removes the upload. Anything that is not
	 * an image sharp can read is refused (415) and changes nothing. Returns the new picture's id.
	 */
	async finish(upload: { id: string; meta: UploadMeta }): Promise<string> {
		const { uploads, log } = this.deps;
		const ownerId = uploads.ownerOf(upload.id);
		if (!ownerId) throw new Error(`upload "${upload.id}" has no owner in its id`);
		const avatarId = newId();
		try {
			// The client's word on the type is not taken: only the bytes count.
			// With FILES_ENCRYPTION_KEY the upload is decrypted here and the picture stored encrypted.
			// Only with a key does a clear upload (of before the key) need its record's size to vouch for it.
			const clearSize = uploads.key ? (await uploads.get(upload.id))?.size : undefined;
			const bytes = uploads.source(upload.id, { key: uploads.key, what: `upload "${upload.id}"`, clearSize });
			const type = await sniffType(bytes, undefined);
			if (!isImageType(type)) throw notAnImage(type);
			const input = await imageInput(bytes);
			if (!input) throw notAnImage(`${type} too big to read`);
			let picture: Buffer;
			try {
				picture = await sharp(input)
					.autoOrient()
					// The client crops square; `cover` centres whatever else comes (a plain API client).
					.resize({ width: AVATAR_LIMITS.px, height: AVATAR_LIMITS.px, fit: 'cover' })
					.webp({ quality: 82 })
					.toBuffer();
			} catch {
				throw notAnImage(`${type} that could not be read`);
			}
			// A full disk is the contract's 507 (the upload fitted, its resized copy did not), not a 500.
			await this.deps.pictures.put(pictureName(avatarId), picture);
			const group = upload.meta.purpose === 'group-avatar' ? upload.meta.threadId : undefined;
			const set = group ? this.#groups().setAvatar(ownerId, group, avatarId) : setAvatar(this.deps.db, ownerId, avatarId, nowIso());
			const before = await set.catch(async (error: unknown) => {
				// Not recorded, so nobody will ever ask for it: do not leave it behind.
				await this.deps.pictures.remove(pictureName(avatarId));
				throw error;
			});
			if (before) await this.deps.pictures.remove(pictureName(before));
			log.with({ user: ownerId }).info(group ? `group "${group}": avatar "${avatarId}" set` : `avatar "${avatarId}" set`);
			// A group's members were told by the group's own `thread:updated`.
			if (!group) this.deps.profileChanged?.(ownerId);
		} finally {
			await uploads.removeBytes(upload.id);
			this.deps.store.forget(upload.id);
		}
		return avatarId;
	}

	#groups(): GroupPictures {
		const groups = this.deps.groupPictures?.();
		if (!groups) throw new AppError('not_implemented', "this node does not run the chat role, so it cannot set a group's picture");
		return groups;
	}

	/** Removes the user's picture (initials again). Removing none is no error. */
	async remove(userId: string): Promise<void> {
		const before = await setAvatar(this.deps.db, userId, null, nowIso());
		if (!before) return;
		await this.deps.pictures.remove(pictureName(before));
		this.deps.log.with({ user: userId }).info('avatar removed');
		this.deps.profileChanged?.(userId);
	}

	/** Removes a picture's bytes whose row no longer names it (a deleted account's). */
	async discard(avatarId: string): Promise<void> {
		await this.deps.pictures.remove(pictureName(avatarId));
	}

	/**
	 * `GET`/`HEAD /files/avatars/{avatarId}` for anyone signed in (pictures are on name cards, which
	 * search shows to strangers too). False when the path is not an avatar's.
	 */
	async serve(req: IncomingMessage, res: ServerResponse, pathname: string, userId: string | undefined): Promise<boolean> {
		const match = AVATAR_PATH.exec(pathname);
		if (!match) return false;
		if (!userId) throw new AppError('unauthorized', 'sign in first: no valid session token or cookie');
		const stored = await this.deps.pictures.open(pictureName(match[1]), `picture "${match[1]}"`);
		if (!stored) throw new AppError('not_found', 'no such picture (it was replaced or removed)');
		const source = stored.file;
		await serve(req, res, {
			source,
			size: source.size,
			type: 'image/webp',
			etag: `"a-${match[1]}"`,
			lastModified: stored.modified,
			// The id names one picture for good: a change makes a new URL.
			cacheControl: 'private, max-age=31536000, immutable'
		});
		return true;
	}
}

/** A picture in the store (which refuses any name but `<id>.webp`: BLOB_NAME). */
export function pictureName(avatarId: string): string {
	return `${avatarId}.webp`;
}

function notAnImage(what: string): AppError {
	return new AppError('unsupported_media_type', `a picture must be an image (PNG, JPEG, WebP, GIF, AVIF or TIFF); this upload is ${what}`);
}

/** `DELETE /api/me/avatar` → 200 `{user}` (with bio), the picture gone. */
export function avatarRoutes({ auth, db, avatars }: { auth: AuthService; db: Kysely<Database>; avatars: Avatars }): Route[] {
	return [
		{
			method: 'DELETE',
			path: '/api/me/avatar',
			handler: async (ctx) => {
				const session = await requireSession(auth, ctx);
				await avatars.remove(session.user.id);
				const row = await findProfile(db, session.user.id);
				if (!row) throw new AppError('not_found', `user "${session.user.id}" not found`);
				const body: ProfileResponse = { user: toProfile(row) };
				return { status: 200, body };
			}
		}
	];
}
