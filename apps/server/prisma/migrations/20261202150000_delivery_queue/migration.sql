-- The delivery queue (issue 15): dispatches being delivered move from "Dispatch" to a table of their
-- own, "DispatchQueue", with one partial index per state, so a claim reads only live work; "Dispatch"
-- keeps the finished ones and is written once per dispatch. Calls are keyed by (dispatch, attempt)
-- and written when their result is recorded. Webhooks get what fair, bounded delivery needs: their
-- host, a version for workers' caches, a rate limit and a circuit.
--
-- Upgrading in place keeps every row: ACTIVE dispatches move to the queue (READY when due,
-- SCHEDULED when waiting for a retry, HELD when their webhook is not ACTIVE), a call left running
-- by a worker that is gone is marked interrupted, and finished dispatches stay where they are.
-- Stop the old workers before applying it (a worker of the old version would find its table
-- changed). Measured (bench/migration-timing.ts, PostgreSQL 15, 2 cores, other work running): 19.5 s
-- for 1 million ACTIVE dispatches moved, 1 million finished ones kept and 2 million calls rekeyed.

-- CreateEnum
CREATE TYPE "QueueState" AS ENUM ('READY', 'SCHEDULED', 'LEASED', 'HOST_WAIT', 'PACED', 'HELD');

-- Webhooks: host, version, rate limit, circuit.
ALTER TABLE "Webhook" ADD COLUMN     "circuitLastError" TEXT,
ADD COLUMN     "circuitOpenedAt" TIMESTAMP(3),
ADD COLUMN     "circuitOpenings" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "circuitProbeAt" TIMESTAMP(3),
ADD COLUMN     "hostKey" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "rateLimitPerSecond" INTEGER,
ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 0;

-- hostKey as the server computes it (hostKeyOf in src/delivery/outbound-guard.ts): the URL's host,
-- lowercased, and its port, 80/443 when not given. (A host in Unicode is kept as written here,
-- where the server would store its punycode: it only groups that host's calls under another name.)
UPDATE "Webhook" SET "hostKey" = lower(m[1]) || ':' || COALESCE(NULLIF(m[2], ''), CASE WHEN lower("requestUrl") LIKE 'https:%' THEN '443' ELSE '80' END)
FROM (SELECT "id" AS "webhookId",
        regexp_match("requestUrl", '^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/?#]*@)?(\[[^]]*\]|[^:/?#]*)(?::([0-9]*))?') AS m
      FROM "Webhook") parsed
WHERE parsed."webhookId" = "Webhook"."id" AND m IS NOT NULL;

-- CreateTable
CREATE TABLE "DispatchQueue" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "webhookId" TEXT NOT NULL,
    "eventId" TEXT,
    "eventType" TEXT NOT NULL,
    "eventData" JSONB,
    "resource" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "state" "QueueState" NOT NULL DEFAULT 'READY',
    "fairKey" BIGINT NOT NULL DEFAULT 0,
    "runAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attemptCount" INTEGER NOT NULL DEFAULT 0,
    "roundStartAttempt" INTEGER NOT NULL DEFAULT 0,
    "leasedBy" TEXT,
    "leasedAt" TIMESTAMP(3),
    "leaseExpiresAt" TIMESTAMP(3),
    "hostKey" TEXT,
    "pacedSlot" TIMESTAMP(3),
    "isProbe" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "DispatchQueue_pkey" PRIMARY KEY ("id")
);

-- Calls no longer belong to one table of dispatches (the queue or the history): no foreign key, and
-- first of all no cascade, which would take the calls of the dispatches deleted below.
ALTER TABLE "DispatchCall" DROP CONSTRAINT "DispatchCall_dispatchId_fkey";

-- Calls a worker left running: nothing of their answer was recorded.
UPDATE "DispatchCall" c SET "finishedAt" = timezone('UTC', now()),
  "errorMessage" = 'Interrupted: the worker delivering this attempt stopped before it finished.'
FROM "Dispatch" d
WHERE c."dispatchId" = d."id" AND d."status" = 'ACTIVE' AND c."finishedAt" IS NULL;

-- ACTIVE dispatches move to the queue, in the order they were due. Test dispatches (no event) keep
-- their own data; the others read their event's from now on.
INSERT INTO "DispatchQueue" ("id", "userId", "webhookId", "eventId", "eventType", "eventData", "resource",
  "createdAt", "state", "fairKey", "runAt", "attemptCount", "roundStartAttempt")
SELECT d."id", d."userId", d."webhookId", d."eventId", d."eventType",
  CASE WHEN d."eventId" IS NULL THEN d."eventData" END,
  CASE WHEN d."eventId" IS NULL THEN d."resource" END,
  d."createdAt",
  (CASE
    WHEN d."eventId" IS NOT NULL AND w."state" <> 'ACTIVE' THEN 'HELD'
    WHEN d."nextAttemptAt" > timezone('UTC', now()) THEN 'SCHEDULED'
    ELSE 'READY' END)::"QueueState",
  row_number() OVER (ORDER BY d."nextAttemptAt", d."id"),
  COALESCE(d."nextAttemptAt", d."createdAt"), d."attemptCount", d."roundStartAttempt"
FROM "Dispatch" d JOIN "Webhook" w ON w."id" = d."webhookId"
WHERE d."status" = 'ACTIVE';

-- The ACTIVE dispatches left in "Dispatch" now are either in the queue (moved above, their calls
-- stay) or belong to webhooks deleted long ago (never sent): those go with their calls.
DELETE FROM "DispatchCall" c USING "Dispatch" d
WHERE c."dispatchId" = d."id" AND d."status" = 'ACTIVE'
  AND NOT EXISTS (SELECT 1 FROM "DispatchQueue" q WHERE q."id" = d."id");
DELETE FROM "Dispatch" WHERE "status" = 'ACTIVE';
UPDATE "Dispatch" SET "finishedAt" = "createdAt" WHERE "finishedAt" IS NULL;

-- DropIndex
DROP INDEX "Dispatch_status_nextAttemptAt_idx";

-- DropIndex
DROP INDEX "Dispatch_webhookId_finishedAt_idx";

-- DropIndex
DROP INDEX "DispatchCall_dispatchId_attempt_key";

-- DropIndex
DROP INDEX "DispatchCall_webhookId_finishedAt_idx";

-- AlterTable
ALTER TABLE "Dispatch" DROP COLUMN "leaseExpiresAt",
DROP COLUMN "leasedBy",
DROP COLUMN "nextAttemptAt",
ALTER COLUMN "status" DROP DEFAULT,
ALTER COLUMN "attemptCount" DROP DEFAULT,
ALTER COLUMN "createdAt" DROP DEFAULT,
ALTER COLUMN "finishedAt" SET NOT NULL;

-- AlterTable
ALTER TABLE "DispatchCall" DROP CONSTRAINT "DispatchCall_pkey",
DROP COLUMN "id",
ADD CONSTRAINT "DispatchCall_pkey" PRIMARY KEY ("dispatchId", "attempt");

-- CreateIndex
CREATE INDEX "DispatchQueue_webhookId_createdAt_idx" ON "DispatchQueue"("webhookId", "createdAt");

-- CreateIndex
CREATE INDEX "DispatchQueue_userId_createdAt_idx" ON "DispatchQueue"("userId", "createdAt");

-- CreateIndex
CREATE INDEX "DispatchQueue_ready_idx" ON "DispatchQueue"("fairKey") WHERE (state = 'READY');

-- CreateIndex
CREATE INDEX "DispatchQueue_ready_webhook_idx" ON "DispatchQueue"("webhookId", "fairKey") WHERE (state = 'READY');

-- CreateIndex
CREATE INDEX "DispatchQueue_scheduled_idx" ON "DispatchQueue"("runAt") WHERE (state = 'SCHEDULED');

-- CreateIndex
CREATE INDEX "DispatchQueue_leased_idx" ON "DispatchQueue"("hostKey") WHERE (state = 'LEASED');

-- CreateIndex
CREATE INDEX "DispatchQueue_host_wait_idx" ON "DispatchQueue"("hostKey", "fairKey") WHERE (state = 'HOST_WAIT');

-- CreateIndex
CREATE INDEX "DispatchQueue_waiting_idx" ON "DispatchQueue"("webhookId", "fairKey") WHERE (state = ANY (ARRAY['PACED'::"QueueState", 'HELD'::"QueueState"]));

-- CreateIndex
CREATE INDEX "DispatchQueue_paced_slot_idx" ON "DispatchQueue"("webhookId", "pacedSlot") WHERE ("pacedSlot" IS NOT NULL);

-- CreateIndex
CREATE INDEX "DispatchCall_webhookId_startedAt_idx" ON "DispatchCall"("webhookId", "startedAt");

-- CreateIndex
CREATE INDEX "Webhook_circuitProbeAt_idx" ON "Webhook"("circuitProbeAt") WHERE ("circuitProbeAt" IS NOT NULL);

-- CreateIndex
CREATE INDEX "Webhook_rate_limited_idx" ON "Webhook"("id") WHERE ("rateLimitPerSecond" IS NOT NULL);

-- Webhook."version" moves with every change of the row and of its secrets, whoever makes it, so a
-- worker's cache of what a delivery needs (templates, URL, secrets) is never trusted past a change.
CREATE FUNCTION "ricochet_bump_webhook_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."version" := OLD."version" + 1;
  RETURN NEW;
END $$;
CREATE TRIGGER "Webhook_version" BEFORE UPDATE ON "Webhook"
  FOR EACH ROW EXECUTE FUNCTION "ricochet_bump_webhook_version"();

CREATE FUNCTION "ricochet_bump_webhook_version_for_secret"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "Webhook" SET "version" = "version" + 1
  WHERE "id" = (CASE WHEN TG_OP = 'DELETE' THEN OLD."webhookId" ELSE NEW."webhookId" END);
  RETURN NULL;
END $$;
CREATE TRIGGER "WebhookSecret_version" AFTER INSERT OR UPDATE OR DELETE ON "WebhookSecret"
  FOR EACH ROW EXECUTE FUNCTION "ricochet_bump_webhook_version_for_secret"();
