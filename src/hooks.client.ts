import { z } from 'zod';

// zod 4 probes whether it may compile parsers with `new Function` the first time it parses an object;
// under the pages' Content-Security-Policy (no 'unsafe-eval') that probe is a reported violation. The
// schemas are small: the interpreted parser is fast enough, and the browser reports nothing.
z.config({ jitless: true });
