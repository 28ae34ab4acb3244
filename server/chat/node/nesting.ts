/** Bounds on the shape of one request's payload, checked before anything walks it. */
export interface NestingLimits {
	/** Levels of objects and arrays; the payload itself is level 1. Default 32. */
	maxDepth: number;
	/** Values in all (objects, arrays and leaves, the payload included). Default 10,000. */
	maxValues: number;
}

/**
 * Far beyond any request of the protocol: the deepest (mediasoup's `rtpParameters`) is 5 levels and
 * the largest (`rtpCapabilities`) a few hundred values.
 */
export const DEFAULT_NESTING_LIMITS: NestingLimits = { maxDepth: 32, maxValues: 10_000 };

/**
 * What is wrong with the payload's shape (`is nested deeper than 32 levels`), or null when it is within
 * bounds. Iterative, with its own stack, so no depth of input can overflow the call stack: run it before
 * anything recursive sees the payload (zod, `JSON.stringify` in a size check, mediasoup), so such input
 * gets `invalid_input` instead of a `RangeError` answered as `internal` (issue 10, item 3).
 * Binary attachments count as single values.
 */
export function nestingProblem(payload: unknown, limits: NestingLimits = DEFAULT_NESTING_LIMITS): string | null {
	const stack: Array<{ value: unknown; depth: number }> = [{ value: payload, depth: 1 }];
	let values = 1;
	while (stack.length > 0) {
		const { value, depth } = stack.pop()!;
		if (value === null || typeof value !== 'object' || value instanceof ArrayBuffer || ArrayBuffer.isView(value)) continue;
		if (depth > limits.maxDepth) return `is nested deeper than ${limits.maxDepth} levels`;
		const children = Array.isArray(value) ? value : Object.values(value);
		values += children.length;
		if (values > limits.maxValues) return `holds more than ${limits.maxValues} values`;
		for (const child of children) stack.push({ value: child, depth: depth + 1 });
	}
	return null;
}
