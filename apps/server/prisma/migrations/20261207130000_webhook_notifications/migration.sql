-- A webhook's recent changes (operational events about it), for its page. A new, empty table: instant.
-- CreateTable
CREATE TABLE "WebhookNotification" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "webhookId" TEXT NOT NULL,
    "eventType" TEXT NOT NULL,
    "eventData" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WebhookNotification_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "WebhookNotification_webhookId_createdAt_idx" ON "WebhookNotification"("webhookId", "createdAt");

-- AddForeignKey
ALTER TABLE "WebhookNotification" ADD CONSTRAINT "WebhookNotification_webhookId_fkey" FOREIGN KEY ("webhookId") REFERENCES "Webhook"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- The installation's operators (admins), found without reading every user: each operational event
-- is copied to them. A partial index of a few rows, built by one read of "User".
CREATE INDEX "User_admin_idx" ON "User"("id") WHERE ("isAdmin");
