import { describe, expect, it } from 'vitest';
import { peopleOf, type ConsumerOf } from './remote';

const track = (label: string) => ({ label }) as unknown as MediaStreamTrack;
const consumer = (id: string, userId: string, kind: 'audio' | 'video', source: 'mic' | 'camera' | 'screen'): ConsumerOf => ({
	consumer: { id, track: track(id) },
	info: { kind, source, producerId: `p-${id}` },
	userId
});

describe('peopleOf', () => {
	it('groups consumers per person in the order their media arrived', () => {
		const people = peopleOf([consumer('b-cam', 'bob', 'video', 'camera'), consumer('a-mic', 'alice', 'audio', 'mic'), consumer('b-mic', 'bob', 'audio', 'mic'), consumer('a-screen', 'alice', 'video', 'screen')], new Map());
		expect(people.map((p) => p.userId)).toEqual(['bob', 'alice']);
		expect(people[0]).toMatchObject({ audio: track('b-mic'), camera: { consumerId: 'b-cam', paused: false }, screen: null });
		expect(people[1]).toMatchObject({ audio: track('a-mic'), camera: null, screen: { consumerId: 'a-screen' } });
	});

	it('marks what is paused by its producer (muted, camera off)', () => {
		const people = peopleOf([consumer('mic', 'bob', 'audio', 'mic'), consumer('cam', 'bob', 'video', 'camera')], new Map([['p-mic', true], ['p-cam', false]]));
		expect(people[0].audioPaused).toBe(true);
		expect(people[0].camera?.paused).toBe(false);
	});

	it('is empty without consumers', () => {
		expect(peopleOf([], new Map())).toEqual([]);
	});
});
