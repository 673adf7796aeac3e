-- 1. History partitions are vacuumed as rows arrive, not once a fifth of a partition is new.
--
-- The history is insert-only, and the dashboard's counts (a user's events, a user's dispatches) are
-- index-only scans of (userId, createdAt): they read the heap for every row on a page the
-- visibility map does not mark all-visible, and only VACUUM marks pages so. With the default
-- insert trigger (1,000 rows + 20 % of the partition), a week that already holds a million rows
-- waits for 200,000 more before autovacuum looks at it, so a tenant's recent rows (scattered over
-- the week's pages among everyone else's) were each fetched from the heap: one user's 22,591
-- events counted in 200 ms against a few on pages marked all-visible. A fixed threshold keeps the
-- part of a week not yet vacuumed small whatever the week holds; each run reads only the pages
-- not yet all-visible, and the freezing it does as it goes spares a big week a wraparound vacuum
-- of its own later. (PGlite runs no autovacuum; the settings are kept there all the same.)
CREATE OR REPLACE FUNCTION "ricochet_create_history_partitions"("fromTs" timestamp, "toTs" timestamp) RETURNS integer
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
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L) '
          'WITH (autovacuum_vacuum_insert_threshold = 10000, autovacuum_vacuum_insert_scale_factor = 0)',
          parent || '_w' || suffix, parent, week, week + interval '7 days');
        IF parent = 'Event' THEN
          EXECUTE format('CREATE UNIQUE INDEX %I ON %I ("userId", "idempotencyKey") WHERE "idempotencyKey" IS NOT NULL',
            'Event_w' || suffix || '_idempotency_key', 'Event_w' || suffix);
        END IF;
        created := created + 1;
      END IF;
    END LOOP;
    week := week + interval '7 days';
  END LOOP;
  RETURN created;
END $$;

-- The weeks that exist already (a catalog change each, no rewrite).
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT c.relname AS "partition"
    FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
    WHERE h.inhparent IN ('"Event"'::regclass, '"Dispatch"'::regclass, '"DispatchCall"'::regclass)
  LOOP
    EXECUTE format('ALTER TABLE %I SET (autovacuum_vacuum_insert_threshold = 10000, autovacuum_vacuum_insert_scale_factor = 0)',
      r."partition");
  END LOOP;
END $$;

-- 2. A finished dispatch's roundStartAttempt was never read: a redelivery moves it back to the queue
-- with a retry budget starting at attemptCount (queue/sql/requeue.ts). Dropping it is a catalog
-- change (rows written since hold nothing for it: 8 bytes less per finished dispatch, the 4 of the
-- integer and the 4 of padding before createdAt); rows already written keep their bytes until
-- their week drops.
ALTER TABLE "Dispatch" DROP COLUMN "roundStartAttempt";
