-- AlterTable
ALTER TABLE "DispatchCall" ADD COLUMN     "requestBody" TEXT,
ADD COLUMN     "requestHeaders" JSON,
ADD COLUMN     "requestUrl" TEXT,
ADD COLUMN     "responseHeaders" JSON;
