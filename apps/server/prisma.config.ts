import { defineConfig } from 'prisma/config';

// Only generation runs through the Prisma CLI here; migrations are created and applied by
// src/db/migrate.ts with Prisma's WebAssembly schema engine (no native binary needed).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
