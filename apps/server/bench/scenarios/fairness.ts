import { createHash } from 'node:crypto';
import type pg from 'pg';
import { hostKeyOf } from '../../src/outbound/host-key.ts';
import { BENCH_TOKEN, seedBenchUser } from '../bench-user.ts';
import { truncate } from '../lib/cluster.ts';
import { percentile, poster, publishBody, sleep, waitUntil } from '../lib/load.ts';
import { startRicochet, stop, waitForListeners } from '../lib/processes.ts';
import type { BenchReceiver } from '../lib/receiver.ts';
import { log, record } from '../lib/results.ts';
import type { BenchSystem } from '../lib/systems.ts';

const TENANT_B_TOKEN = `ricochet_api_${'c'.repeat(36)}`;

export type FairnessOptions = {
  /** The batch scenario: webhooks of the busy tenant, and events in its one batch. */
  batchWebhooks: number;
  batchEvents: number;
  /** Events the other tenant publishes while the busy one's backlog or hanging endpoint is there. */
  probes: number;
};

/** A second tenant with one webhook, to `url`, and its own token. */
async function seedTenantB(pool: pg.Pool, url: string): Promise<void> {
  await pool.query(`INSERT INTO "User" ("id", "username") VALUES ('tenantB', 'tenant-b')`);
  await pool.query(
    `INSERT INTO "ApiToken" ("id", "userId", "name", "scope", "tokenHash", "prefix")
     VALUES ('tenantBToken', 'tenantB', 'bench', 'FULL', $1, 'ricochet_api_cccc')`,
    [createHash('sha256').update(TENANT_B_TOKEN).digest('hex')],
  );
  await pool.query(
    `INSERT INTO "Webhook" ("id", "userId", "eventTypes", "requestUrl", "hostKey")
     VALUES ('tenantBWebhook', 'tenantB', ARRAY['ACTOR.RUN.SUCCEEDED'], $1, $2)`,
    [url, hostKeyOf(url)],
  );
  await pool.query(
    `INSERT INTO "WebhookSecret" ("id", "webhookId", "secret") VALUES ('tenantBSecret', 'tenantBWebhook', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')`,
  );
}

async function emptied(system: BenchSystem): Promise<void> {
  await truncate(
    system.pool,
    'TRUNCATE "User", "Webhook", "Event", "Dispatch", "DispatchQueue", "DispatchCall", "WebhookSecret", "ApiToken" CASCADE',
  );
}

/**
 * The other tenant's events, one every `gapMs` while the busy tenant's trouble goes on: the delays
 * from each publish to its receipt (the receiver's group `tenant-b`), p50 and p99.
 */
async function otherTenantDelays(
  baseUrl: string,
  other: BenchReceiver,
  key: string,
  options: { probes: number; gapMs: number; timeoutMs: number },
): Promise<void> {
  const client = poster(baseUrl, 2, '/v2/events', TENANT_B_TOKEN);
  for (let index = 0; index < options.probes; index++) {
    const status = await client.post(publishBody({ probe: index }));
    if (status !== 201) log(`${key}: the other tenant's publish answered ${status}`);
    await sleep(options.gapMs);
  }
  await client.close();
  const all = await waitUntil(
    async () => ((await other.stats()).groups['tenant-b']?.received ?? 0) >= options.probes,
    options.timeoutMs,
    50,
  );
  const group = (await other.stats()).groups['tenant-b'];
  if (!all)
    log(
      `${key}: ${group?.received ?? 0} of ${options.probes} delivered within ${options.timeoutMs / 1000} s`,
    );
  const latencies = group?.latencies ?? [];
  record(`${key} delivered of ${options.probes}`, group?.received ?? 0);
  record(`${key} p50 ms`, all ? percentile(latencies, 50) : Number.NaN);
  record(`${key} p99 ms`, all ? percentile(latencies, 99) : Number.NaN);
}

/**
 * Two tenants on one worker. (1) A tenant's endpoint accepts connections and never answers, with
 * 300 events queued for it; the worker runs Ricochet's defaults (100 calls at once, 10 per host,
 * a 30 s timeout). (2) A tenant with `batchWebhooks` webhooks sends one batch of `batchEvents`
 * events reaching all of them. Each time, how long the other tenant's new events take to arrive.
 */
export async function fairness(
  system: BenchSystem,
  receiver: BenchReceiver,
  other: BenchReceiver,
  options: FairnessOptions,
): Promise<void> {
  // (1) A hanging endpoint.
  await emptied(system);
  await seedBenchUser(system.pool, `${receiver.url}/hang`, 1);
  await seedTenantB(system.pool, `${other.url}/tenant-b/hook`);
  await receiver.reset();
  await other.reset();
  const defaults = { DATABASE_URL: system.url, DELIVERY_MAX_CONCURRENT_PER_HOST: '10' };
  const api = await startRicochet(['--api'], defaults);
  const worker = (await startRicochet(['--worker'], defaults)).proc;
  await waitForListeners(system.pool, 1);
  const busy = poster(api.baseUrl, 16, '/v2/events', BENCH_TOKEN);
  await Promise.all(Array.from({ length: 300 }, () => busy.post(publishBody())));
  await busy.close();
  await waitUntil(async () => (await receiver.stats()).hanging >= 10, 30_000);
  await otherTenantDelays(api.baseUrl, other, 'fairness: hanging endpoint', {
    probes: options.probes,
    gapMs: 100,
    timeoutMs: 120_000,
  });
  record('fairness: hanging endpoint, calls held open', (await receiver.stats()).hanging);
  await stop(worker, api.proc);
  await receiver.reset();

  // (2) One batch reaching every webhook of a tenant.
  await emptied(system);
  await seedBenchUser(system.pool, receiver.url, options.batchWebhooks);
  await seedTenantB(system.pool, `${other.url}/tenant-b/hook`);
  await other.reset();
  const limits = {
    DATABASE_URL: system.url,
    MAX_WEBHOOKS_PER_USER: String(options.batchWebhooks),
    MAX_DISPATCHES_PER_REQUEST: String(options.batchWebhooks * options.batchEvents),
  };
  const batchApi = await startRicochet(['--api'], limits);
  const batchWorker = (await startRicochet(['--worker'], limits)).proc;
  await waitForListeners(system.pool, 1);
  const sender = poster(batchApi.baseUrl, 1, '/v2/events/batch', BENCH_TOKEN);
  const t0 = performance.now();
  const status = await sender.post(
    JSON.stringify({
      events: Array.from({ length: options.batchEvents }, (_, index) => JSON.parse(publishBody({ index }))),
    }),
  );
  record('fairness: batch request seconds', (performance.now() - t0) / 1000);
  if (status !== 201) log(`fairness: the batch answered ${status}`);
  await sender.close();
  await otherTenantDelays(batchApi.baseUrl, other, 'fairness: big batch', {
    probes: options.probes,
    gapMs: 250,
    timeoutMs: 90_000,
  });
  record('fairness: big batch, its deliveries meanwhile', (await receiver.stats()).received);
  await stop(batchWorker, batchApi.proc);
  await emptied(system);
}
