import { createHash } from 'node:crypto';
import type pg from 'pg';
import { hostKeyOf } from '../src/outbound/host-key.ts';

/** The API token of the benchmarks' user (a fixed value: the benchmarks' databases are throwaway). */
export const BENCH_TOKEN = `ricochet_api_${'b'.repeat(36)}`;

/**
 * Inserts the benchmarks' admin user (benchUser, with BENCH_TOKEN) and `fanout` webhooks
 * subscribed to ACTOR.RUN.SUCCEEDED, to `${receiverUrl}/hook/<n>`, each with a secret, straight
 * into an empty, migrated database.
 */
export async function seedBenchUser(pool: pg.Pool, receiverUrl: string, fanout: number): Promise<void> {
  await pool.query(`INSERT INTO "User" ("id", "username", "isAdmin") VALUES ('benchUser', 'bench', true)`);
  await pool.query(
    `INSERT INTO "ApiToken" ("id", "userId", "name", "scope", "tokenHash", "prefix")
     VALUES ('benchToken', 'benchUser', 'bench', 'FULL', $1, 'ricochet_api_bbbb')`,
    [createHash('sha256').update(BENCH_TOKEN).digest('hex')],
  );
  await pool.query(
    `INSERT INTO "Webhook" ("id", "userId", "eventTypes", "requestUrl", "hostKey")
     SELECT 'benchWebhook' || i, 'benchUser', ARRAY['ACTOR.RUN.SUCCEEDED'], $1 || '/hook/' || i, $3
     FROM generate_series(1, $2::int) i`,
    [receiverUrl, fanout, hostKeyOf(receiverUrl)],
  );
  await pool.query(
    `INSERT INTO "WebhookSecret" ("id", "webhookId", "secret")
     SELECT 'secret' || "id", "id", 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' FROM "Webhook"`,
  );
}
