import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

// Every test that asks for the `db` fixture runs on the backend of its project: `pglite` always,
// `postgres` as well when TEST_DATABASE_URL names a server
// (e.g. postgres://postgres@127.0.0.1:5432/postgres).
const projects: TestProjectInlineConfiguration[] = [
  { extends: true, test: { name: 'pglite', env: { RICOCHET_TEST_DB: 'pglite' } } },
];
// Files named *.once.test.ts do not depend on the test database (configuration, the CLI, whole
// processes on a database of their own): they run once, in the pglite project.
if (process.env.TEST_DATABASE_URL) {
  projects.push({
    extends: true,
    test: {
      name: 'postgres',
      env: { RICOCHET_TEST_DB: 'postgres' },
      exclude: [...configDefaults.exclude, 'test/**/*.once.test.ts'],
    },
  });
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    benchmark: { include: ['bench/**/*.bench.ts'] },
    // Migrates one template database per project and run; each test gets a copy of it.
    globalSetup: ['test/db-global-setup.ts'],
    // Sized for 2 cores: PGlite runs on the test's own thread, so more workers would only contend.
    // Forks rather than threads: a worker process gives the WebAssembly memory of the PGlite
    // instances it went through back when it exits.
    pool: 'forks',
    maxWorkers: 2,
    // No execArgv: src/db/migrate.ts instantiates the schema engine's WebAssembly itself, so it
    // needs no --experimental-wasm-modules, in the workers or in globalSetup (the main process).
    // Budgets for a loaded 2-core machine, not speed checks (speed is `pnpm bench`'s business):
    // tests wait on conditions, and only a hang should ever reach these.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    projects,
  },
});
