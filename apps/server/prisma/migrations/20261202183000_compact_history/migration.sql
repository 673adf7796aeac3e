-- Less per delivery (issue 17): a call stores only the part of its request that cannot be derived
-- again (src/delivery/stored-request.ts): the webhook-timestamp, the signatures as bytes, and what
-- differs from the format's constants (customer headers, origin, user agent); the body only when it
-- is not the default payload, which is rendered again from the event. requestHeaders stays null on
-- such calls. Calls stored before keep their full request (requestHeaders, requestBody) and read as
-- they did: nothing is rewritten.
--
-- Nullable columns without a default: a change of the catalog only, whatever the table holds (no
-- row is rewritten, no index built). Measured on PostgreSQL 15 (2 cores, other work running) over
-- 1 million stored calls: 33 ms, which does not grow with the rows
-- (`node --import tsx bench/migration-timing.ts compact [millions]` repeats it).

-- AlterTable
ALTER TABLE "DispatchCall" ADD COLUMN     "requestParts" JSON,
ADD COLUMN     "requestSignatures" BYTEA,
ADD COLUMN     "requestTimestamp" INTEGER;
