-- Operational events (issue 19): since when a webhook is failing, so `ricochet.webhook.failing` is
-- emitted once per run of failures and `ricochet.webhook.recovered` once when it ends. A nullable
-- column without a default: adding it rewrites nothing (instant at any table size).
ALTER TABLE "Webhook" ADD COLUMN "failingSince" TIMESTAMP(3);
