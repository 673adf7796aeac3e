-- History in weekly time partitions (issue 17): "Event" by "createdAt", "Dispatch" (finished
-- dispatches) by "finishedAt" and "DispatchCall" by "startedAt", each a declarative RANGE partition
-- per ISO week (Monday 00:00 UTC to the next Monday), with no DEFAULT partition. Retention drops
-- whole partitions (src/services/history-partitions.ts); the server creates the weeks ahead at
-- start and every hour. The live queue ("DispatchQueue") stays one plain table: claims never read
-- history.
--
-- Each history row goes to a partition of "now" when it is written (an event when published, a
-- dispatch when it finishes, a call when its result is recorded), so a retention drop never races
-- a write into the partition it drops.
--
-- Primary keys include the partition key: "Event" (id, createdAt), "Dispatch" (id, finishedAt),
-- "DispatchCall" (dispatchId, attempt, startedAt). Ids stay Apify's random 17 characters (not
-- time-ordered), so a lookup by id alone probes each partition's primary key index: one index
-- probe per week of retention. Readers that know a time give it (a dispatch's event is looked up by
-- (id, createdAt): a dispatch's createdAt is its event's), which prunes to one partition.
--
-- Uniqueness of (userId, idempotencyKey) cannot be a constraint of a partitioned "Event" (it would
-- have to include createdAt): each partition has a unique index of its own on it (the publish's
-- ON CONFLICT DO NOTHING uses it), and the publish checks the other partitions first.
--
-- Upgrading converts the three tables in place (new partitioned tables, every row copied with
-- INSERT ... SELECT *, the old tables dropped): every row is kept. Queued dispatches and finished
-- ones whose createdAt differs from their event's (rows written by old versions) get a copy of the
-- event's data, so readers that look an event up by (id, createdAt) lose nothing. Stop the old
-- servers first. Measured (`node --import tsx bench/migration-timing.ts 1 partitions`, PostgreSQL
-- 15, 2 cores): 47.8 s for 1 million events, 1 million finished dispatches and 1 million calls
-- over eight weeks, so about 16 s per million history rows (63 s with tests running beside it).

-- The week partitions of the three tables that cover [fromTs, toTs), created when missing. Called
-- by this migration and by the server's maintenance (src/services/history-partitions.ts).
CREATE FUNCTION "ricochet_create_history_partitions"("fromTs" timestamp, "toTs" timestamp) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  week timestamp := date_trunc('week', "fromTs");
  suffix text;
  created integer := 0;
  parent text;
BEGIN
  WHILE week < "toTs" LOOP
    suffix := to_char(week, 'YYYYMMDD');
    FOREACH parent IN ARRAY ARRAY['Event', 'Dispatch', 'DispatchCall'] LOOP
      IF to_regclass(format('%I', parent || '_w' || suffix)) IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
          parent || '_w' || suffix, parent, week, week + interval '7 days');
        IF parent = 'Event' THEN
          EXECUTE format('CREATE UNIQUE INDEX %I ON %I ("userId", "idempotencyKey")',
            'Event_w' || suffix || '_idempotency_key', 'Event_w' || suffix);
        END IF;
        created := created + 1;
      END IF;
    END LOOP;
    week := week + interval '7 days';
  END LOOP;
  RETURN created;
END $$;

-- The old tables step aside, without their keys and indexes (the copy does not need them, and
-- their names go to the new tables).
ALTER TABLE "Event" RENAME TO "Event_unpartitioned";
ALTER TABLE "Dispatch" RENAME TO "Dispatch_unpartitioned";
ALTER TABLE "DispatchCall" RENAME TO "DispatchCall_unpartitioned";
DO $$
DECLARE
  t text;
  r record;
BEGIN
  FOREACH t IN ARRAY ARRAY['Event_unpartitioned', 'Dispatch_unpartitioned', 'DispatchCall_unpartitioned'] LOOP
    FOR r IN SELECT conname FROM pg_constraint WHERE conrelid = format('%I', t)::regclass AND contype IN ('p', 'u') LOOP
      EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', t, r.conname);
    END LOOP;
    FOR r IN SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = format('%I', t)::regclass LOOP
      EXECUTE format('DROP INDEX %I', r.relname);
    END LOOP;
  END LOOP;
END $$;

-- The new tables have the old ones' columns, whatever they are (LIKE), in the same order (so
-- SELECT * copies them).
CREATE TABLE "Event" (LIKE "Event_unpartitioned" INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING GENERATED)
  PARTITION BY RANGE ("createdAt");
CREATE TABLE "Dispatch" (LIKE "Dispatch_unpartitioned" INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING GENERATED)
  PARTITION BY RANGE ("finishedAt");
CREATE TABLE "DispatchCall" (LIKE "DispatchCall_unpartitioned" INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING GENERATED)
  PARTITION BY RANGE ("startedAt");

-- Weeks from the oldest row (or four weeks back, for tools that load recent history) to four weeks
-- ahead; the server keeps creating them ahead (and drops the empty old ones with retention).
SELECT "ricochet_create_history_partitions"(
  LEAST(timezone('UTC', now()) - interval '28 days',
    (SELECT min("createdAt") FROM "Event_unpartitioned"),
    (SELECT min("finishedAt") FROM "Dispatch_unpartitioned"),
    (SELECT min("startedAt") FROM "DispatchCall_unpartitioned")),
  GREATEST(timezone('UTC', now()),
    (SELECT max("createdAt") FROM "Event_unpartitioned"),
    (SELECT max("finishedAt") FROM "Dispatch_unpartitioned"),
    (SELECT max("startedAt") FROM "DispatchCall_unpartitioned")) + interval '28 days');

-- Rows copied before the indexes are built: building an index once is cheaper than maintaining it
-- row by row.
INSERT INTO "Event" SELECT * FROM "Event_unpartitioned";
INSERT INTO "Dispatch" SELECT * FROM "Dispatch_unpartitioned";
INSERT INTO "DispatchCall" SELECT * FROM "DispatchCall_unpartitioned";
DROP TABLE "Event_unpartitioned";
DROP TABLE "Dispatch_unpartitioned";
DROP TABLE "DispatchCall_unpartitioned";

ALTER TABLE "Event" ADD CONSTRAINT "Event_pkey" PRIMARY KEY ("id", "createdAt");
CREATE INDEX "Event_userId_createdAt_idx" ON "Event"("userId", "createdAt");
ALTER TABLE "Dispatch" ADD CONSTRAINT "Dispatch_pkey" PRIMARY KEY ("id", "finishedAt");
CREATE INDEX "Dispatch_userId_createdAt_idx" ON "Dispatch"("userId", "createdAt");
CREATE INDEX "Dispatch_webhookId_createdAt_idx" ON "Dispatch"("webhookId", "createdAt");
ALTER TABLE "DispatchCall" ADD CONSTRAINT "DispatchCall_pkey" PRIMARY KEY ("dispatchId", "attempt", "startedAt");
CREATE INDEX "DispatchCall_webhookId_startedAt_idx" ON "DispatchCall"("webhookId", "startedAt");

-- Dispatches find their event by (id, createdAt) from now on. Rows of old versions whose createdAt
-- is not their event's keep a copy of its data instead (none are expected: one statement wrote both).
UPDATE "DispatchQueue" q SET "eventData" = e."eventData", "resource" = e."resource"
FROM "Event" e WHERE e."id" = q."eventId" AND e."createdAt" <> q."createdAt" AND q."eventData" IS NULL;
UPDATE "Dispatch" d SET "eventData" = e."eventData", "resource" = e."resource"
FROM "Event" e WHERE e."id" = d."eventId" AND e."createdAt" <> d."createdAt" AND d."eventData" IS NULL;

-- Per-user retention (null: the installation's RETENTION_DAYS).
ALTER TABLE "User" ADD COLUMN "retentionDays" INTEGER;
