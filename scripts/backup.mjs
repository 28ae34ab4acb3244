// `npm run backup` / `npm run restore`: server/backup/cli.ts, bundled into build/backup.js and run
// (scripts/run-bundled.mjs). Arguments: `backup [--out DIR]` or `restore --from DIR`.
import { runBundled } from './run-bundled.mjs';

await runBundled('server/backup/cli.ts', 'backup.js');
