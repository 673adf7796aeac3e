import { randomUUID } from 'node:crypto';
import {
  DELIVERY_HEADERS,
  type SuperOfficeWebhookResult,
  type SuperOfficeWebhookSchema,
} from '@ricochet/schema';
import type { z } from 'zod';
import type { HttpSender, SendResult } from '../outbound/http-sender.ts';
import { deliveryHeaders, withProperties } from '../outbound/payload.ts';
import { withTestCallSlot } from './test-call-slots.ts';

/** SuperOffice's webhooks identify themselves as `NetServer-Webhook/<version>`; receivers may check it. */
export const SUPEROFFICE_USER_AGENT = 'NetServer-Webhook/0.1 (compatible; Ricochet-Webhooks/0.1)';

/** Formats a response the way SuperOffice's Message does: status line, headers, blank line, body. */
function describeResponse(result: SendResult): string {
  if (result.responseStatus === null) return result.errorMessage ?? 'No response';
  const headers = Object.entries(result.responseHeaders).map(([name, value]) => `${name}: ${value}`);
  return [`HTTP ${result.responseStatus}`, ...headers, '', result.responseBody ?? ''].join('\r\n');
}

/**
 * SuperOffice's Webhook/Test: pings a webhook definition (nothing is saved) with a `test` event,
 * synchronously, and answers whether it got a 2xx plus the response's status, headers and body.
 * The call is signed and guarded like every other delivery.
 */
export async function testWebhookDefinition(
  sender: HttpSender,
  args: {
    userId: string;
    definition: z.output<typeof SuperOfficeWebhookSchema>;
    timeoutMs: number;
    requestOrigin: string;
  },
): Promise<SuperOfficeWebhookResult> {
  const { definition } = args;
  const eventId = randomUUID();
  const payload = {
    EventId: eventId,
    Timestamp: new Date().toISOString(),
    Changes: [] as string[],
    Event: 'test',
    PrimaryKey: 0,
    Entity: 'test',
    ContextIdentifier: args.userId,
    ChangedByAssociateId: 0,
    WebhookName: definition.Name ?? null,
  };
  const body = withProperties(payload, definition.Properties ?? null);
  const headers = {
    ...deliveryHeaders({
      webhookId:
        definition.WebhookId !== null && definition.WebhookId !== undefined
          ? String(definition.WebhookId)
          : 'test',
      dispatchId: eventId,
      body,
      secrets: definition.Secret ? [definition.Secret] : [],
      customHeaders: [definition.Headers ?? {}],
      now: new Date(),
      requestOrigin: args.requestOrigin,
    }),
    // SuperOffice's own headers on its test call: receivers route on the event name and id.
    [DELIVERY_HEADERS.superOfficeEvent]: 'test',
    [DELIVERY_HEADERS.superOfficeEventId]: eventId,
    [DELIVERY_HEADERS.hookTest]: 'true',
  };
  const result = await withTestCallSlot(args.userId, () =>
    sender.send({
      userAgent: SUPEROFFICE_USER_AGENT,
      url: definition.TargetUrl,
      headers,
      body,
      timeoutMs: args.timeoutMs,
      ignoreSslErrors: false,
    }),
  );
  const success =
    result.responseStatus !== null && result.responseStatus >= 200 && result.responseStatus < 300;
  return { Success: success, Message: describeResponse(result) };
}
