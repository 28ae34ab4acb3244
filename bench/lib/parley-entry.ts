// The real Parley server (server/main.ts, configured by the environment) with the benchmark's memory
// probe beside it. Started by parley-process.ts.
import { installMemoryProbe } from './probe.js';

installMemoryProbe();
await import('../../server/main.js');
