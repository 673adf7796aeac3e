// `pnpm db:migration:create <name>`: writes the next migration from the changes in schema.prisma.
import { relative } from 'node:path';
import { createMigration } from './migrate.ts';

const name = process.argv.slice(2).join(' ').trim();
if (name === '') {
  console.error('Usage: pnpm db:migration:create <name>   (e.g. add_webhook_labels)');
  process.exit(1);
}

try {
  const created = await createMigration(name);
  if (created === null) {
    console.log('schema.prisma matches prisma/migrations: no migration written.');
  } else {
    console.log(`Wrote ${relative(process.cwd(), created.directory)}/migration.sql.`);
    console.log('Review it (steps that keep data, such as backfills, are yours to add), then commit it.');
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
