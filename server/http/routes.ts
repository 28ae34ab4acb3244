import type { Route } from './http.js';

/**
 * Finds the route for a method and path: exact paths by map look-up, paths with `:name` segments
 * (`/api/files/:id`) by matching segment by segment. A `:name` segment matches one non-empty segment
 * and is handed over percent-decoded; a segment that does not decode matches nothing.
 */
export class RouteTable {
	readonly #exact = new Map<string, Route>();
	readonly #patterns: Array<{ route: Route; segments: string[] }> = [];

	constructor(routes: Route[]) {
		for (const route of routes) {
			if (route.path.includes('/:')) this.#patterns.push({ route, segments: route.path.split('/') });
			else this.#exact.set(`${route.method} ${route.path}`, route);
		}
	}

	/** The route and its params, or the methods the path allows (empty: no such path). */
	find(method: string, path: string): { route: Route; params: Record<string, string> } | { allowed: string[] } {
		const exact = this.#exact.get(`${method} ${path}`);
		if (exact) return { route: exact, params: {} };
		const allowed = new Set<string>();
		for (const route of this.#exact.values()) if (route.path === path) allowed.add(route.method);
		const parts = path.split('/');
		for (const { route, segments } of this.#patterns) {
			const params = match(segments, parts);
			if (!params) continue;
			if (route.method === method) return { route, params };
			allowed.add(route.method);
		}
		return { allowed: [...allowed] };
	}
}

function match(segments: string[], parts: string[]): Record<string, string> | null {
	if (segments.length !== parts.length) return null;
	const params: Record<string, string> = Object.create(null);
	for (let i = 0; i < segments.length; i++) {
		const segment = segments[i];
		if (segment.startsWith(':')) {
			if (parts[i] === '') return null;
			try {
				params[segment.slice(1)] = decodeURIComponent(parts[i]);
			} catch {
				return null;
			}
		} else if (segment !== parts[i]) return null;
	}
	return params;
}
