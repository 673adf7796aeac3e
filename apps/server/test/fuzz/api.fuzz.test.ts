import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TEST_DB_BACKEND } from '../db-fixtures.ts';
import { fuzz } from './run.ts';
import { type FuzzServer, startFuzzServer, trpcTargets } from './server.ts';

// A bounded number of cases in `pnpm test`; `pnpm fuzz` runs many more (FUZZ_RUNS). A new seed
// every run, printed, so a failure can be replayed with FUZZ_SEED.
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

describe(`fuzzing a real server process on ${TEST_DB_BACKEND}`, () => {
  let server: FuzzServer;
  beforeAll(async () => {
    server = await startFuzzServer(TEST_DB_BACKEND);
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
  });

  test('covers every REST operation, SuperOffice and every tRPC procedure', () => {
    const paths = server.targets.map((target) => `${target.method} ${target.path}`);
    expect(paths).toContain('POST /api/v1/Webhook/Test');
    expect(paths).toContain('DELETE /v2/webhooks/{webhookId}');
    expect(paths).toContain('PUT /v2/users/{userId}/retention');
    expect(paths).toContain('PUT /v2/users/me/alert-email');
    expect(paths).toContain('GET /v2/webhooks/{webhookId}/notifications');
    expect(paths).toContain('GET /v2/admin/overview');
    for (const procedure of trpcTargets()) expect(paths).toContain(`${procedure.method} ${procedure.path}`);
    expect(trpcTargets().length).toBeGreaterThan(20);
  });

  test(
    `${RUNS} hostile requests: alive, no 5xx, the envelope, nothing written when refused (seed ${SEED})`,
    async () => {
      console.log(`fuzz seed ${SEED} (${TEST_DB_BACKEND}, ${RUNS} runs; replay with FUZZ_SEED=${SEED})`);
      const result = await fuzz(server, { runs: RUNS, seed: SEED });
      console.log(
        `fuzz ${TEST_DB_BACKEND}: ${result.requests} requests (${result.batches} tRPC batches), statuses ${JSON.stringify(result.statuses)}`,
      );
      expect(result.requests).toBe(RUNS);
      expect(result.batches).toBeGreaterThan(0);
    },
    600_000 + RUNS * 5_000,
  );
});

// A third of the cases again, on a server with tight rate and sign-in limits: 429s, lockouts and
// refused batches must keep the same rules (no 5xx, the envelope, nothing written when refused).
const TIGHT_RUNS = Math.max(20, Math.round(RUNS / 3));

describe(`fuzzing a real server process with tight limits on ${TEST_DB_BACKEND}`, () => {
  let server: FuzzServer;
  beforeAll(async () => {
    server = await startFuzzServer(TEST_DB_BACKEND, { limits: 'tight' });
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
  });

  test(
    `${TIGHT_RUNS} hostile requests against the limits (seed ${SEED})`,
    async () => {
      const result = await fuzz(server, { runs: TIGHT_RUNS, seed: SEED });
      console.log(
        `fuzz ${TEST_DB_BACKEND}, tight limits: ${result.requests} requests (${result.batches} tRPC batches), statuses ${JSON.stringify(result.statuses)}`,
      );
      expect(result.requests).toBe(TIGHT_RUNS);
    },
    600_000 + TIGHT_RUNS * 10_000,
  );
});
