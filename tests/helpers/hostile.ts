import fc from 'fast-check';

/**
 * fast-check arbitraries for hostile input (tests/integration/security.fuzz.spec.ts): strings with
 * unicode edge cases and lone surrogates, numbers at and past every bound, prototype keys, deep and
 * wide nesting, and valid payloads with one field swapped for any of those.
 */

/** Keys every protocol request uses somewhere, and the ones that poison prototypes. */
export const FIELD_NAMES = [
	'threadId', 'seq', 'text', 'clientId', 'userId', 'userIds', 'memberIds', 'requestId', 'accept', 'callId', 'liveId',
	'transportId', 'producerId', 'consumerId', 'query', 'limit', 'cursor', 'beforeSeq', 'afterSeq', 'emoji', 'remove',
	'title', 'topic', 'role', 'until', 'endpoint', 'keys', 'hidden', 'video', 'direction', 'kind', 'source', 'fileId',
	'replyToSeq', 'afterChangeSeq', 'message', 'dtlsParameters', 'rtpParameters', 'rtpCapabilities', 'appData',
	'spatialLayer', 'temporalLayer', 'email', 'purpose', 'login', 'password', 'username', 'code', 'displayName', 'bio', 'avoid'
];
export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

/** Strings a parser, a database or a renderer may trip on. */
export const NASTY_STRINGS = [
	'',
	' ',
	'\ud800',
	'a\udfffb',
	'\udc00\ud800',
	'\u0000',
	'a\u0000b',
	'\u0085',
	'\u202e\u2066evil',
	'\ufeff',
	'\u200b\u200d',
	'e\u0301\u0301\u0301',
	'👨‍👩‍👧‍👦',
	'🇫🇷',
	'1️⃣',
	'%00',
	'%2e%2e%2f',
	'../../etc/passwd',
	"' OR 1=1 --",
	'"; DROP TABLE users; --',
	'\\',
	'<script>alert(1)</script>',
	'${7*7}',
	'NaN',
	'null',
	'-1',
	'9007199254740993',
	'2026-12-07T18:00:00Z',
	'forever',
	...PROTO_KEYS,
	'x'.repeat(33),
	'x'.repeat(4_001),
	'𝟘'.repeat(2_100),
	'a'.repeat(70_000)
];

export const NASTY_NUMBERS = [0, -0, -1, 1, 0.5, -2_147_483_648, 2_147_483_647, 2_147_483_648, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, 1e308, -1e308, Number.MIN_VALUE];

/** A string: nasty ones, any code points (lone surrogates included), or one of the world's real ids. */
export function hostileString(realIds: string[]): fc.Arbitrary<string> {
	return fc.oneof(
		{ arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 4 },
		{ arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 3 },
		{ arbitrary: fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 3 }), weight: 1 },
		{ arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }), weight: 2 },
		{ arbitrary: realIds.length ? fc.constantFrom(...realIds) : fc.constant('x'), weight: 3 }
	);
}

/** An object whose keys are own properties even when they are `__proto__` (as JSON.parse makes them). */
function objectOf(entries: Array<[string, unknown]>): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
	return out;
}

/** `{a: {a: … 1}}` `levels` deep, without recursion. */
export function deep(levels: number): unknown {
	let value: unknown = 1;
	for (let i = 0; i < levels; i++) value = i % 2 ? { a: value } : [value];
	return value;
}

/** Any JSON value built from the hostile leaves, a few levels deep, sometimes very deep or wide. */
export function hostileValue(realIds: string[]): fc.Arbitrary<unknown> {
	const key = fc.oneof(fc.constantFrom(...FIELD_NAMES, ...PROTO_KEYS), hostileString(realIds));
	const leaf = fc.oneof(
		hostileString(realIds),
		fc.constantFrom(...NASTY_NUMBERS),
		fc.integer(),
		fc.double({ noNaN: true }),
		fc.boolean(),
		fc.constant(null)
	);
	const { value } = fc.letrec<{ value: unknown }>((tie) => ({
		value: fc.oneof(
			{ depthSize: 'small', withCrossShrink: true },
			leaf,
			fc.array(tie('value'), { maxLength: 4 }),
			fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map(objectOf)
		)
	}));
	return fc.oneof(
		{ arbitrary: value, weight: 8 },
		{ arbitrary: fc.integer({ min: 30, max: 400 }).map(deep), weight: 1 },
		{ arbitrary: fc.integer({ min: 100, max: 12_000 }).map((n) => Array.from({ length: n }, (_, i) => i)), weight: 1 }
	);
}

/**
 * A payload for a request whose valid form is `valid`: anything at all, an object of protocol and
 * prototype keys, or `valid` with one field replaced, removed or added (the case that gets furthest).
 */
export function hostilePayload(valid: Record<string, unknown>, realIds: string[]): fc.Arbitrary<unknown> {
	const value = hostileValue(realIds);
	const keys = Object.keys(valid);
	const anyKey = fc.oneof(fc.constantFrom(...FIELD_NAMES, ...PROTO_KEYS), hostileString(realIds));
	const mutated = fc
		.tuple(keys.length ? fc.constantFrom(...keys) : anyKey, value, fc.constantFrom('replace', 'remove', 'add' as const), anyKey)
		.map(([k, v, how, extra]) => {
			const entries = Object.entries(valid);
			if (how === 'replace') return objectOf(entries.map(([name, old]) => [name, name === k ? v : old]));
			if (how === 'remove') return objectOf(entries.filter(([name]) => name !== k));
			return objectOf([...entries, [extra, v]]);
		});
	// The edge cases every request must refuse, aimed at each field: a lone surrogate in a string, a prototype key.
	const strings = Object.entries(valid).filter(([, v]) => typeof v === 'string').map(([k]) => k);
	const surrogate = fc
		.tuple(strings.length ? fc.constantFrom(...strings) : fc.constant('text'), fc.constantFrom('\ud800', '\udfff', 'a\udbff', '\udc00b'), fc.boolean())
		.map(([k, bad, before]) => objectOf(Object.entries({ ...valid, [k]: before ? bad + String(valid[k] ?? '') : String(valid[k] ?? '') + bad })));
	const proto = fc.tuple(fc.constantFrom(...PROTO_KEYS), value).map(([k, v]) => objectOf([...Object.entries(valid), [k, v]]));
	return fc.oneof(
		{ arbitrary: mutated, weight: 5 },
		{ arbitrary: surrogate, weight: 2 },
		{ arbitrary: proto, weight: 1 },
		{ arbitrary: fc.array(fc.tuple(fc.constantFrom(...FIELD_NAMES, ...PROTO_KEYS), value), { maxLength: 5 }).map(objectOf), weight: 2 },
		{ arbitrary: value, weight: 2 }
	);
}
