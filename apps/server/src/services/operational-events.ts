// A webhook's notifications (its operational events, queue/operational-events.ts), for its page.
import type { WebhookNotifications } from '@ricochet/schema';
import { sqlFor } from '../db/sql.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { recordNotFound } from './errors.ts';

/** A webhook's latest notifications (operational events about it), newest first. */
export async function listWebhookNotifications(
  prisma: PrismaClient,
  args: { userId: string; webhookId: string; limit: number },
): Promise<WebhookNotifications> {
  const sql = sqlFor(prisma);
  const owned = await sql.query<{ id: string }>(
    `SELECT "id" FROM "Webhook" WHERE "id" = $1 AND "userId" = $2`,
    [args.webhookId, args.userId],
  );
  if (owned.length === 0) throw recordNotFound('Webhook', args.webhookId);
  const rows = await sql.query<{
    id: string;
    eventType: WebhookNotifications['items'][number]['eventType'];
    createdAt: Date;
    eventData: Record<string, unknown>;
  }>(
    `SELECT "id", "eventType", "createdAt", "eventData" FROM "WebhookNotification"
     WHERE "webhookId" = $1 ORDER BY "createdAt" DESC, "id" DESC LIMIT $2`,
    [args.webhookId, args.limit],
  );
  return { items: rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString() })) };
}
