import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Pool as HttpPool } from 'undici';
import { BENCH_TOKEN } from '../bench-user.ts';
import { closedLoop, poster, publishBody, waitUntil } from '../lib/load.ts';
import { onCleanup, startRicochet, stop } from '../lib/processes.ts';
import type { BenchReceiver } from '../lib/receiver.ts';
import { log, record } from '../lib/results.ts';

/** `pnpm start`: API and worker in one process on the embedded database, publishing while it delivers. */
export async function pglite(receiver: BenchReceiver, events: number): Promise<void> {
  // C2 on an in-process PGlite (one connection: transactions run one after another).
  const memory = await PGlite.create();
  await memory.exec('CREATE TABLE c2 (id bigint PRIMARY KEY, v int, at timestamptz)');
  let next = 0;
  const c2 = await closedLoop({
    concurrency: 1,
    durationMs: 3_000,
    call: async () => {
      await memory.transaction(async (tx) => {
        const id = next++;
        await tx.query('INSERT INTO c2 (id, v, at) VALUES ($1, 0, now())', [id]);
        await tx.query('UPDATE c2 SET v = v + 1 WHERE id = $1', [id]);
      });
      return 200;
    },
  });
  await memory.close();
  record('C2 PGlite insert+update tx/s', (c2.ok / c2.elapsedMs) * 1000);

  for (const fanout of [1, 10]) {
    const dataDir = mkdtempSync(join(tmpdir(), 'ricochet-bench-pglite-'));
    onCleanup(() => rmSync(dataDir, { recursive: true, force: true }));
    const server = await startRicochet([], { RICOCHET_DATA_DIR: dataDir, RICOCHET_ADMIN_TOKEN: BENCH_TOKEN });
    const client = poster(server.baseUrl, 32, '/v2/events', BENCH_TOKEN);
    const admin = new HttpPool(server.baseUrl);
    // The server binds its port before it creates the first admin (RICOCHET_ADMIN_TOKEN): wait
    // until the token works, or the webhooks below would not be created.
    if (!(await waitUntil(async () => (await client.get('/v2/users/me')) === 200, 60_000))) {
      throw new Error('the admin token of the PGlite server never worked');
    }
    for (let index = 0; index < fanout; index++) {
      const hook = await admin.request({
        method: 'POST',
        path: '/v2/webhooks',
        headers: { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          eventTypes: ['ACTOR.RUN.SUCCEEDED'],
          requestUrl: `${receiver.url}/pglite/${index}`,
        }),
      });
      await hook.body.dump();
      if (hook.statusCode !== 201) throw new Error(`creating a webhook answered ${hook.statusCode}`);
    }
    await admin.close();
    await receiver.reset();
    const t0 = Date.now();
    const load = await closedLoop({
      concurrency: 32,
      durationMs: 120_000,
      maxCalls: Math.floor(events / fanout),
      call: () => client.post(publishBody()),
    });
    record(`PGlite fo${fanout} publish events/s (while delivering)`, (load.ok / load.elapsedMs) * 1000);
    const expected = load.ok * fanout;
    const all = await waitUntil(async () => (await receiver.stats()).received >= expected, 120_000);
    const stats = await receiver.stats();
    if (!all) {
      log(`PGlite fo${fanout}: ${stats.received} of ${expected} delivered`);
      log(`server output:\n${server.proc.lines.slice(-30).join('\n')}`);
    }
    record(
      `PGlite fo${fanout} deliveries/s (publish + deliver, one process)`,
      all ? (stats.received / (stats.lastAt - t0)) * 1000 : Number.NaN,
    );
    await client.close();
    await stop(server.proc);
  }
}
