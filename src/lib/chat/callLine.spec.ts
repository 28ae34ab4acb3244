import { describe, expect, it } from 'vitest';
import type { CallSummary } from '$lib/protocol';
import { callLineFor, length } from './callLine';

const who = { me: 'bob', callerName: 'Alice', peerName: 'Alice' };
const line = (senderId: string, call: CallSummary, names = who) => callLineFor({ senderId, call, text: 'Declined call' }, names);

describe('callLineFor', () => {
	it('words a declined call for each side', () => {
		const declined: CallSummary = { callKind: 'audio', durationSec: 0, outcome: 'declined' };
		// Bob declined Alice's call: Bob reads it, then Alice.
		expect(line('alice', declined)).toBe('You declined a call from Alice');
		expect(line('alice', declined, { me: 'alice', callerName: 'Alice', peerName: 'Bob' })).toBe('Bob declined your call');
	});

	it('says missed calls, completed calls with their length, and group calls', () => {
		expect(line('alice', { callKind: 'video', durationSec: 0, outcome: 'missed' })).toBe('Missed video call from Alice');
		expect(line('alice', { callKind: 'audio', durationSec: 0, outcome: 'cancelled' })).toBe('Missed call from Alice');
		expect(line('bob', { callKind: 'audio', durationSec: 0, outcome: 'cancelled' })).toBe('Cancelled call');
		expect(line('bob', { callKind: 'audio', durationSec: 0, outcome: 'busy' })).toBe('No answer from Alice');
		expect(line('alice', { callKind: 'video', durationSec: 185, outcome: 'completed' })).toBe('Video call · 3 min');
		expect(line('bob', { callKind: 'audio', durationSec: 42, outcome: 'completed' })).toBe('Voice call · 42 s');
		expect(line('bob', { callKind: 'audio', durationSec: 0, outcome: 'failed' })).toBe('Call failed');
		expect(line('x', { callKind: 'video', durationSec: 724, outcome: 'completed', people: 5 })).toBe('Group call · 12 min · 5 people');
		expect(line('x', { callKind: 'video', durationSec: 0, outcome: 'failed', people: 1 })).toBe('Group call failed');
		expect(callLineFor({ senderId: 'x', text: 'Call' }, who)).toBe('Call');
	});

	it('rounds lengths for people', () => {
		expect(length(0)).toBe('0 s');
		expect(length(59.4)).toBe('59 s');
		expect(length(90)).toBe('2 min');
		expect(length(3600)).toBe('1 h');
		expect(length(3900)).toBe('1 h 5 min');
	});
});
