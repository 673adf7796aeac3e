// `prisma generate` runs entirely on the WebAssembly builds in the npm package, but first tries to
// download the native schema engine, which these machines cannot reach. Pointing
// PRISMA_SCHEMA_ENGINE_BINARY at any existing file skips that download.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// An installed package (npm install @ricochet/server) has no src/: its Prisma client is already
// bundled into dist/, and the Prisma CLI (a dev dependency) is not there to run.
if (!existsSync(fileURLToPath(new URL('../src', import.meta.url)))) process.exit(0);

const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1' };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(import.meta.url);
const result = spawnSync('prisma', ['generate'], { stdio: 'inherit', env, shell: false });
process.exit(result.status ?? 1);
