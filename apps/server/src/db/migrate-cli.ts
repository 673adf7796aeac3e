// `pnpm db:migrate`: applies prisma/migrations to DATABASE_URL, or to the embedded PGlite database
// in RICOCHET_DATA_DIR (default .ricochet-data under the current directory) when it is unset.
import { openDatabase } from './client.ts';

const databaseUrl = process.env.DATABASE_URL || undefined;
const dataDir = process.env.RICOCHET_DATA_DIR || '.ricochet-data';

try {
  const db = await openDatabase({ ...(databaseUrl ? { databaseUrl } : { dataDir }), migrate: false });
  try {
    const applied = await db.migrate();
    const target =
      db.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `the embedded database in ${dataDir}`;
    if (applied.length === 0) console.log(`${target} is up to date.`);
    else console.log(`Applied to ${target}:\n${applied.map((name) => `  ${name}`).join('\n')}`);
  } finally {
    await db.close();
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
