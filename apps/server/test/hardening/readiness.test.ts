import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureStopped, freePort, startRicochet } from '@ricochet/testkit';
import pg from 'pg';
import { describe, expect, test } from 'vitest';
import { freshPostgresDatabase, TEST_DB_BACKEND } from '../db-fixtures.ts';

const ADMIN_TOKEN = 'readiness-admin-token-0001';
const BUDGET_MS = 180_000;

// On PostgreSQL the first admin's creation and the first requests run side by side, which is where a
// load balancer sending traffic on the first /readyz 200 met 401s; on PGlite (one connection) they
// queue behind each other. To make the start-up's window wide and certain, the PostgreSQL run holds
// a SHARE lock on the token table (a slow database: reads go on, the admin's token cannot be
// written) until /readyz has said "not ready" for a while.
describe(`/readyz means ready (${TEST_DB_BACKEND})`, () => {
  test(
    'it answers 200 only once RICOCHET_ADMIN_TOKEN is accepted; /healthz is liveness only',
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'ricochet-readiness-'));
      const database = TEST_DB_BACKEND === 'postgres' ? await freshPostgresDatabase() : undefined;
      const locker = database ? new pg.Client({ connectionString: database.url }) : undefined;
      await locker?.connect();
      await locker?.query('BEGIN');
      await locker?.query('LOCK TABLE "ApiToken" IN SHARE MODE');
      let locked = locker !== undefined;
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const server = startRicochet(['--api'], {
        PORT: String(port),
        DATABASE_URL: database?.url ?? '',
        RICOCHET_DATA_DIR: dataDir,
        RICOCHET_ADMIN_TOKEN: ADMIN_TOKEN,
      });
      try {
        const statuses: number[] = [];
        const deadline = Date.now() + BUDGET_MS;
        // As a load balancer would, from the moment the port opens and as fast as it can: the first
        // 200 is when traffic starts, and then the admin's token must work.
        for (;;) {
          const status = await fetch(`${base}/readyz`).then(
            (response) => response.status,
            () => 0,
          );
          if (status !== 0) statuses.push(status);
          if (status === 200) break;
          if (status !== 0) expect(status).toBe(503);
          if (locked && statuses.length >= 20) {
            await locker?.query('COMMIT');
            locked = false;
          }
          expect(Date.now()).toBeLessThan(deadline);
        }
        const me = await fetch(`${base}/v2/users/me`, {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        expect(me.status, `after ${statuses.length} /readyz answers`).toBe(200);
        expect((await fetch(`${base}/healthz`)).status).toBe(200);
      } finally {
        await ensureStopped([server]);
        await locker?.end();
        rmSync(dataDir, { recursive: true, force: true });
        await database?.drop();
      }
    },
    BUDGET_MS * 2,
  );
});
