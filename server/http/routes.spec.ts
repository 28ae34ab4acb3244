import { describe, expect, it } from 'vitest';
import type { Route } from './http.js';
import { RouteTable } from './routes.js';

const handler = async () => ({ status: 204 });
const route = (method: Route['method'], path: string): Route => ({ method, path, handler });

describe('RouteTable', () => {
	const routes = [route('GET', '/api/files'), route('GET', '/api/files/:id'), route('DELETE', '/api/files/:id'), route('GET', '/api/a/:x/b/:y')];
	const table = new RouteTable(routes);

	it('finds exact paths first, with no params', () => {
		expect(table.find('GET', '/api/files')).toEqual({ route: routes[0], params: {} });
	});

	it('fills :name segments, percent-decoded', () => {
		expect(table.find('DELETE', '/api/files/abc')).toEqual({ route: routes[2], params: { id: 'abc' } });
		expect(table.find('GET', '/api/files/a%20b')).toMatchObject({ params: { id: 'a b' } });
		expect(table.find('GET', '/api/a/1/b/2')).toMatchObject({ params: { x: '1', y: '2' } });
	});

	it('a :name matches exactly one non-empty segment', () => {
		expect(table.find('GET', '/api/files/')).toEqual({ allowed: [] });
		expect(table.find('GET', '/api/files/a/b')).toEqual({ allowed: [] });
		expect(table.find('GET', '/api/a/1/c/2')).toEqual({ allowed: [] });
	});

	it('a segment that is not valid percent-encoding matches nothing', () => {
		expect(table.find('GET', '/api/files/%E0%A4%A')).toEqual({ allowed: [] });
	});

	it('names the allowed methods of a known path', () => {
		expect(table.find('POST', '/api/files/abc')).toEqual({ allowed: ['GET', 'DELETE'] });
		expect(table.find('POST', '/api/files')).toEqual({ allowed: ['GET'] });
	});

	it('params have no prototype to pollute', () => {
		const found = new RouteTable([route('GET', '/x/:__proto__')]).find('GET', '/x/1');
		expect(found).toMatchObject({ params: { __proto__: '1' } });
		expect(Object.getPrototypeOf({})).toBe(Object.prototype);
	});
});
