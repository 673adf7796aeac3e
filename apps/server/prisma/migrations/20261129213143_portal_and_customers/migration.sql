-- AlterTable
ALTER TABLE "EventType" ADD COLUMN     "exampleData" JSONB;

-- AlterTable
ALTER TABLE "Session" ADD COLUMN     "branding" JSONB;

-- AlterTable
ALTER TABLE "SignInLink" ADD COLUMN     "branding" JSONB,
ADD COLUMN     "readOnly" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "externalId" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "User_externalId_key" ON "User"("externalId");
