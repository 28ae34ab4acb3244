// Sums a V8 .cpuprofile (node --cpu-prof; `--cpu-prof=DIR` of throughput.ts and cpu-per-message.ts)
// by function and by file or package: self time (samples in it) and total time (samples in it or
// anything it called, each sample counted once per function even under recursion). Percentages are of
// the busy time (idle left out). Async functions count only up to their first await: what runs after
// it is under the microtask queue, so look at the repositories' and the driver's rows too.
//
//   node --import tsx bench/lib/profile-summary.ts FILE.cpuprofile [top=30]
import fs from 'node:fs';

interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	children?: number[];
}

interface Profile {
	nodes: ProfileNode[];
	samples: number[];
	timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
	console.error('usage: profile-summary.ts FILE.cpuprofile [top]');
	process.exit(2);
}
const top = Number(topArg ?? 30);
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);

const where = (url: string) =>
	url
		.replace(/^file:\/\//, '')
		.replace(/.*node_modules\//, 'nm/')
		.replace(new RegExp(`^${process.cwd()}/`), '');
const functionKey = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
const fileKey = (n: ProfileNode) => {
	const url = where(n.callFrame.url);
	if (!url) return n.callFrame.functionName;
	const pkg = /^nm\/((@[^/]+\/)?[^/]+)/.exec(url);
	return pkg ? `nm/${pkg[1]}` : url;
};

const selfOfNode = new Map<number, number>();
profile.samples.forEach((id, i) => selfOfNode.set(id, (selfOfNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us);
const tables = { selfByFunction: new Map<string, number>(), selfByFile: new Map<string, number>(), totalByFile: new Map<string, number>(), totalByFunction: new Map<string, number>() };
let all = 0;
let idle = 0;
for (const [id, us] of selfOfNode) {
	const node = byId.get(id)!;
	all += us;
	if (node.callFrame.functionName === '(idle)') idle += us;
	add(tables.selfByFunction, functionKey(node), us);
	add(tables.selfByFile, fileKey(node), us);
	const functions = new Set<string>();
	const files = new Set<string>();
	for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
		const n = byId.get(at)!;
		functions.add(functionKey(n));
		files.add(fileKey(n));
	}
	for (const k of functions) add(tables.totalByFunction, k, us);
	for (const k of files) add(tables.totalByFile, k, us);
}
const busy = all - idle;
console.log(`${file}: ${(all / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy`);
for (const [title, table] of Object.entries(tables)) {
	console.log(`\n${title}`);
	const rows = [...table].filter(([k]) => !k.startsWith('(idle)') && k !== '(root)' && !k.startsWith('(root)'));
	for (const [k, us] of rows.sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * us) / busy).toFixed(1).padStart(5)} % ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
}
