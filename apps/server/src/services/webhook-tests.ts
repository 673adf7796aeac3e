import { randomUUID } from 'node:crypto';
import {
  DELIVERY_HEADERS,
  type Dispatch,
  type RenderedRequest,
  type RequestPreviewInput,
  type SuperOfficeWebhookResult,
  type SuperOfficeWebhookSchema,
  type TemplateVariables,
  type TestWebhookDefinitionInputSchema,
  type WebhookTestResult,
} from '@ricochet/schema';
import type { z } from 'zod';
import type { Config } from '../config.ts';
import { sqlFor } from '../db/sql.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { HttpSender, SendResult } from '../outbound/http-sender.ts';
import {
  buildDeliveryRequest,
  deliveryHeaders,
  renderRequest,
  TemplateRenderError,
  withProperties,
} from '../outbound/payload.ts';
import * as queue from '../queue/index.ts';
import { getDispatch } from './dispatches.ts';
import { AppError, recordNotFound } from './errors.ts';
import { newRecordId } from './ids.ts';
import { withTestCallSlot } from './test-call-slots.ts';

// Every way to try a webhook before (or besides) real traffic, in one place: a TEST dispatch
// through the queue (Apify's test), one call sent now for a definition not saved (the dashboard's
// Test button, and SuperOffice's Webhook/Test), and a request rendered but not sent (the form's
// preview). All render with the worker's own code, so a test cannot disagree with a delivery.

/** How a test call is sent: the delivery attempt's timeout, and the origin its requests name. */
export type TestCallSettings = { timeoutMs: number; requestOrigin: string };

export function testCallSettingsFrom(
  config: Pick<Config, 'DELIVERY_ATTEMPT_TIMEOUT_MS' | 'RICOCHET_REQUEST_ORIGIN'>,
): TestCallSettings {
  return { timeoutMs: config.DELIVERY_ATTEMPT_TIMEOUT_MS, requestOrigin: config.RICOCHET_REQUEST_ORIGIN };
}

/** The dummy event of a test dispatch, shaped like a real actor run event. */
export const TEST_EVENT_DATA = { actorId: 'TEST_ACTOR_ID', actorRunId: 'TEST_ACTOR_RUN_ID' } as const;
export const TEST_RESOURCE = {
  id: 'TEST_ACTOR_RUN_ID',
  actId: 'TEST_ACTOR_ID',
  status: 'SUCCEEDED',
  startedAt: '2019-12-12T07:34:14.202Z',
  finishedAt: '2019-12-13T08:36:13.202Z',
  defaultDatasetId: 'TEST_DATASET_ID',
  defaultKeyValueStoreId: 'TEST_KEY_VALUE_STORE_ID',
} as const;

/**
 * Apify's "test webhook": a TEST event with a dummy payload, delivered like any other dispatch
 * (whatever the webhook's state, since a person asked for it explicitly), at the front of the queue.
 */
export async function testWebhook(
  prisma: PrismaClient,
  args: { userId: string; webhookId: string },
): Promise<Dispatch> {
  const owned = await prisma.webhook.count({ where: { id: args.webhookId, userId: args.userId } });
  if (owned === 0) throw recordNotFound('Webhook', args.webhookId);
  const dispatchId = newRecordId();
  await queue.enqueueTest(sqlFor(prisma), {
    id: dispatchId,
    userId: args.userId,
    webhookId: args.webhookId,
    eventType: 'TEST',
    eventData: { ...TEST_EVENT_DATA },
    resource: { ...TEST_RESOURCE },
  });
  return getDispatch(prisma, { userId: args.userId, dispatchId });
}

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

const PREVIEW_SECRET = 'whsec_cHJldmlldyBzZWNyZXQgbm90IHJlYWw=';

/**
 * The request an unsaved definition would send for a sample event, rendered by the same code the
 * worker uses (so the preview cannot disagree with the delivery). Signed with a dummy secret.
 */
export function previewRequest(args: {
  userId: string;
  input: Required<Pick<RequestPreviewInput, 'requestUrl' | 'eventType' | 'shouldInterpolateStrings'>> &
    RequestPreviewInput;
  requestOrigin: string;
  now?: Date;
}): RenderedRequest {
  const { input } = args;
  const now = args.now ?? new Date();
  const variables: TemplateVariables = {
    userId: args.userId,
    createdAt: now.toISOString(),
    eventType: input.eventType,
    eventData: { ...TEST_EVENT_DATA },
    resource: { ...TEST_RESOURCE },
  };
  return renderRequest({
    webhook: {
      id: 'PREVIEW_WEBHOOK_ID',
      requestUrl: input.requestUrl,
      payloadTemplate: input.payloadTemplate ?? null,
      headersTemplate: input.headersTemplate ?? null,
      shouldInterpolateStrings: input.shouldInterpolateStrings,
      headers: input.headers ?? null,
      properties: input.properties ?? null,
    },
    message: { dispatchId: 'PREVIEW_DISPATCH_ID', variables },
    secrets: [PREVIEW_SECRET],
    now,
    requestOrigin: args.requestOrigin,
  });
}
