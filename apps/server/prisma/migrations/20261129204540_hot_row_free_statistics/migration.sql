-- Webhook statistics are derived from the dispatch rows from now on: publishing and delivering no
-- longer update the webhook row (it was a hot row that serialized every publish and delivery).

-- AlterTable: call rows carry their webhook and outcome (per-hour figures for the dashboard).
ALTER TABLE "DispatchCall" ADD COLUMN     "outcome" TEXT,
ADD COLUMN     "webhookId" TEXT;

-- Backfill (added by hand): calls of existing dispatches.
UPDATE "DispatchCall" c SET "webhookId" = d."webhookId",
  "outcome" = CASE
    WHEN c."finishedAt" IS NULL OR c."errorMessage" LIKE 'Interrupted:%' THEN NULL
    WHEN c."responseStatus" BETWEEN 200 AND 299 THEN 'succeeded'
    WHEN d."status" = 'FAILED' AND c."attempt" = d."attemptCount" THEN 'failed'
    ELSE 'retrying' END
FROM "Dispatch" d WHERE d."id" = c."dispatchId";
ALTER TABLE "DispatchCall" ALTER COLUMN "webhookId" SET NOT NULL;

-- AlterTable
ALTER TABLE "Webhook" DROP COLUMN "consecutiveFailures",
DROP COLUMN "lastDispatchFinishedAt",
DROP COLUMN "lastDispatchStatus",
DROP COLUMN "totalDispatches",
ADD COLUMN     "failuresCountedFrom" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ALTER COLUMN "modifiedAt" SET DEFAULT CURRENT_TIMESTAMP;

-- CreateIndex
CREATE INDEX "Dispatch_webhookId_finishedAt_idx" ON "Dispatch"("webhookId", "finishedAt");

-- CreateIndex
CREATE INDEX "DispatchCall_webhookId_finishedAt_idx" ON "DispatchCall"("webhookId", "finishedAt");

-- Added by hand: an Apify-style record id (17 characters of [A-Za-z0-9]) made inside the database,
-- so that fanning an event out to many webhooks is one INSERT ... SELECT. The bytes are the 13
-- random bytes of a version 4 UUID (from a CSPRNG; the version and variant bits are skipped), in
-- base64 with '+' and '/' mapped to letters.
CREATE FUNCTION "ricochet_record_id"() RETURNS TEXT LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT substr(translate(encode(substring(u FROM 1 FOR 6) || substring(u FROM 10 FOR 7), 'base64'), '+/', 'xZ'), 1, 17)
  FROM uuid_send(gen_random_uuid()) AS u
$$;
