import { z } from 'zod';
import { displayNameSchema, LIMITS, type User } from './auth';
import { hasControlCharacters } from './text';

/** `PATCH /api/me`: change what others see on your card. At least one field. */
export const profileUpdateRequest = z
	.strictObject({
		displayName: displayNameSchema.optional(),
		// Kept verbatim (line breaks included); only characters that would fake or hide text are refused.
		bio: z
			.string({ message: 'bio must be a string' })
			.max(LIMITS.bioMax, { message: `at most ${LIMITS.bioMax} characters` })
			.refine((s) => !hasControlCharacters(s, '\t\n\r'), { message: 'must not contain control characters' })
			.optional()
	})
	.refine((r) => r.displayName !== undefined || r.bio !== undefined, { message: 'give displayName, bio or both', path: ['displayName'] });
export type ProfileUpdateRequest = z.input<typeof profileUpdateRequest>;

/** The signed-in user with their bio. */
export interface Profile extends User {
	bio: string;
}

export interface ProfileResponse {
	user: Profile;
}
