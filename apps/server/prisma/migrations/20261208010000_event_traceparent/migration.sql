-- Tracing (issue 19): the publish span's traceparent on each event. A nullable column without a default:
-- a catalogue change only, on the partitioned table and every partition.
-- AlterTable
ALTER TABLE "Event" ADD COLUMN     "traceparent" TEXT;

