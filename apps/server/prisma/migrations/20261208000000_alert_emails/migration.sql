-- Alert e-mails (issue 19): a user's and a webhook's address, the outbox the mailer sends from, and the
-- per-webhook switch for sending trace context. New nullable/defaulted columns and an empty table: instant.
-- CreateEnum
CREATE TYPE "AlertEmailState" AS ENUM ('PENDING', 'SENT', 'SUPPRESSED', 'FAILED');

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "alertEmail" TEXT;

-- AlterTable
ALTER TABLE "Webhook" ADD COLUMN     "errorsEmail" TEXT,
ADD COLUMN     "propagateTraceContext" BOOLEAN NOT NULL DEFAULT true;

-- CreateTable
CREATE TABLE "AlertEmail" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "webhookId" TEXT NOT NULL,
    "toAddress" TEXT NOT NULL,
    "eventType" TEXT NOT NULL,
    "eventData" JSONB NOT NULL,
    "state" "AlertEmailState" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leasedUntil" TIMESTAMP(3),
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),

    CONSTRAINT "AlertEmail_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AlertEmail_due_idx" ON "AlertEmail"("nextAttemptAt") WHERE ("state" = 'PENDING');

-- CreateIndex
CREATE INDEX "AlertEmail_toAddress_createdAt_idx" ON "AlertEmail"("toAddress", "createdAt");

-- CreateIndex
CREATE INDEX "AlertEmail_userId_createdAt_idx" ON "AlertEmail"("userId", "createdAt");

-- AddForeignKey
ALTER TABLE "AlertEmail" ADD CONSTRAINT "AlertEmail_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

