import type { RenderedRequest } from '@ricochet/schema';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { renderRequest } from '../outbound/payload.ts';
import { findDispatchEvent } from './dispatches.ts';
import { recordNotFound } from './errors.ts';

/**
 * A dispatch's request, rendered again from its event and the webhook's current templates and
 * secrets: all there is for calls recorded before each call's request was stored (see
 * getDispatchDetail). Equal to what was sent unless the webhook changed since; the timestamp and
 * signatures are those of now.
 */
export async function renderDispatchRequest(
  prisma: PrismaClient,
  args: { userId: string; dispatchId: string; requestOrigin: string },
): Promise<RenderedRequest> {
  // Live or finished, with its event's data (an event's dispatches keep no copy of it).
  const dispatch = await findDispatchEvent(prisma, args);
  // No foreign key joins a dispatch to its webhook (see schema.prisma); one gone is not found.
  const webhook =
    dispatch &&
    (await prisma.webhook.findUnique({
      where: { id: dispatch.webhookId },
      include: { secrets: { orderBy: { createdAt: 'desc' } } },
    }));
  if (!dispatch || !webhook) throw recordNotFound('Webhook dispatch', args.dispatchId);
  const now = new Date();
  return renderRequest({
    webhook: {
      id: webhook.id,
      requestUrl: webhook.requestUrl,
      payloadTemplate: webhook.payloadTemplate,
      headersTemplate: webhook.headersTemplate,
      shouldInterpolateStrings: webhook.shouldInterpolateStrings,
      headers: webhook.headers as Record<string, string> | null,
      properties: webhook.properties as Record<string, unknown> | null,
    },
    message: {
      dispatchId: dispatch.id,
      variables: {
        userId: dispatch.userId,
        // The event's time: a dispatch is created in the same statement as its event, with its time.
        createdAt: new Date(dispatch.createdAt).toISOString(),
        eventType: dispatch.eventType,
        eventData: dispatch.eventData ?? null,
        resource: dispatch.resource ?? null,
      },
    },
    secrets: webhook.secrets
      .filter((secret) => !secret.expiresAt || secret.expiresAt > now)
      .map((secret) => secret.secret),
    now,
    requestOrigin: args.requestOrigin,
  });
}
