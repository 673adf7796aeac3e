-- Fewer bytes per delivery in the history, and the event data a late-finishing dispatch needs
-- (issue 17). No table is rewritten: it rebuilds each week's idempotency index (partial now) and
-- copies event data onto the dispatches that finished in a later week than their event. Measured
-- (`node --import tsx bench/migration-timing.ts bytes 1`, PostgreSQL 15, 2 cores): 1.7 s for 1
-- million events, 1 million finished dispatches (one in twenty a week after its event) and 1
-- million calls over eight weeks.
--
-- 1. Record ids made in the database (dispatches, the events of publish-for-users) start with the
--    time: 8 characters of base 36 (0-9a-z) of the milliseconds since 1970, then 9 random ones of
--    [A-Za-z0-9] (the CSPRNG bytes of a v4 UUID, as before). Still 17 characters of [A-Za-z0-9],
--    as Apify's (every client and stored id keeps working), but new keys of the history's primary
--    keys ("Event" (id, createdAt), "Dispatch" (id, finishedAt), "DispatchCall" (dispatchId, ...))
--    now arrive in order: their B-tree pages fill at the end instead of splitting at random in the
--    middle (random keys leave leaf pages about 70 % full). Base 36 in lowercase sorts the same in
--    the C collation and in the usual linguistic ones. The prefix wraps in 2059 (36^8 ms), which
--    costs only that locality. The server's own ids (src/services/ids.ts) are made the same way.
CREATE OR REPLACE FUNCTION "ricochet_record_id"() RETURNS TEXT LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT (SELECT string_agg(substr('0123456789abcdefghijklmnopqrstuvwxyz',
            ((t.ms / (36::bigint ^ p)::bigint) % 36)::int + 1, 1), '' ORDER BY p DESC)
          FROM generate_series(0, 7) AS p)
    || substr(translate(encode(substring(u FROM 1 FOR 6) || substring(u FROM 10 FOR 7), 'base64'), '+/', 'xZ'), 1, 9)
  FROM uuid_send(gen_random_uuid()) AS u,
    (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms) AS t
$$;

-- 2. The idempotency key's unique index holds only events that have a key (most have none, and
--    every one of them was an entry). The publish's ON CONFLICT DO NOTHING and its check of earlier
--    weeks (key = $n, which implies NOT NULL) use the partial index as they used the whole one.
--    Existing partitions get it built again, partial (one pass over each week's events).
--    (A fillfactor of 100 on the history's time-ordered indexes was measured and left out: rows
--    arrive nearly, not strictly, in key order, and a late key landing in a full page splits it in
--    half; the default 90 % leaves room for those.)
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
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
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

DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT c.relname AS "partition"
    FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid WHERE h.inhparent = '"Event"'::regclass
  LOOP
    EXECUTE format('DROP INDEX IF EXISTS %I', r."partition" || '_idempotency_key');
    EXECUTE format('CREATE UNIQUE INDEX %I ON %I ("userId", "idempotencyKey") WHERE "idempotencyKey" IS NOT NULL',
      r."partition" || '_idempotency_key', r."partition");
  END LOOP;
END $$;

-- 3. A finished dispatch in a later week than its event outlives the event's partition (weeks
--    drop oldest first), and its compactly stored calls' default payloads are rendered again from
--    the event's data (src/delivery/stored-request.ts): such rows keep their own copy, as the
--    record statement now gives them (src/queue/sql/record.ts). Rows written before get it here.
UPDATE "Dispatch" d SET "eventData" = e."eventData", "resource" = e."resource"
FROM "Event" e
WHERE e."id" = d."eventId" AND e."createdAt" = d."createdAt" AND d."eventData" IS NULL
  AND date_trunc('week', d."finishedAt") > date_trunc('week', d."createdAt");
