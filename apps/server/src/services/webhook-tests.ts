import type { TestWebhookDefinitionInputSchema, WebhookTestResult } from '@ricochet/schema';
import type { z } from 'zod';
import type { HttpSender } from '../outbound/http-sender.ts';
import { buildDeliveryRequest, TemplateRenderError } from '../outbound/payload.ts';
import { TEST_EVENT_DATA, TEST_RESOURCE } from './dispatches.ts';
import { AppError } from './errors.ts';
import { newRecordId } from './ids.ts';
import { withTestCallSlot } from './test-call-slots.ts';

/**
 * Tests a webhook definition that is not saved: renders Apify's TEST event through its templates,
 * signs it with its secret (when it has one), and sends it once, now, through the same guarded sender
 * as every delivery. Nothing is stored; the answer is what was sent and what came back, so a form can
 * show it before the webhook exists. The REST route `POST /v2/webhook-tests` and the tRPC procedure
 * `webhooks.testUnsaved` both call this.
 */
export async function testWebhookDefinitionDraft(
  sender: HttpSender,
  args: {
    userId: string;
    definition: z.output<typeof TestWebhookDefinitionInputSchema>;
    timeoutMs: number;
    requestOrigin: string;
  },
): Promise<WebhookTestResult> {
  const { definition } = args;
  const now = new Date();
  let request: ReturnType<typeof buildDeliveryRequest>;
  try {
    request = buildDeliveryRequest({
      webhook: {
        id: 'test',
        requestUrl: definition.requestUrl,
        payloadTemplate: definition.payloadTemplate ?? null,
        headersTemplate: definition.headersTemplate ?? null,
        shouldInterpolateStrings: definition.shouldInterpolateStrings ?? false,
        headers: definition.headers ?? null,
        properties: definition.properties ?? null,
      },
      message: {
        dispatchId: newRecordId(),
        variables: {
          userId: args.userId,
          createdAt: now.toISOString(),
          eventType: 'TEST',
          eventData: { ...TEST_EVENT_DATA },
          resource: { ...TEST_RESOURCE },
        },
      },
      secrets: definition.secret ? [definition.secret] : [],
      now,
      requestOrigin: args.requestOrigin,
    });
  } catch (error) {
    // A template that parses but cannot render (e.g. a header value that is not a string) is a
    // mistake in the definition: the caller can fix it, so it is invalid input, not a failed call.
    if (error instanceof TemplateRenderError)
      throw new AppError('invalid-input', `Invalid input: ${error.message}`);
    throw error;
  }
  const result = await withTestCallSlot(args.userId, () =>
    sender.send({
      url: request.url,
      headers: request.headers,
      body: request.body,
      timeoutMs: args.timeoutMs,
      ignoreSslErrors: definition.ignoreSslErrors ?? false,
    }),
  );
  return {
    succeeded:
      result.errorMessage === null &&
      result.responseStatus !== null &&
      result.responseStatus >= 200 &&
      result.responseStatus < 300,
    request,
    call: {
      startedAt: result.startedAt.toISOString(),
      finishedAt: result.finishedAt.toISOString(),
      errorMessage: result.errorMessage,
      responseStatus: result.responseStatus,
      responseBody: result.responseBody,
    },
  };
}
