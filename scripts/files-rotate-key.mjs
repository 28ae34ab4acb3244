// `npm run files:rotate-key`: server/files/crypto/rotate-cli.ts, bundled into build/rotate-key.js and
// run (scripts/run-bundled.mjs). See docs/DEPLOY.md, "Files encrypted at rest".
import { runBundled } from './run-bundled.mjs';

await runBundled('server/files/crypto/rotate-cli.ts', 'rotate-key.js');
