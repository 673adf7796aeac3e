import {
  DEFAULT_PAYLOAD_TEMPLATE,
  DELIVERY_HEADERS,
  type ParsedTemplate,
  parseHeadersTemplate,
  parseTemplate,
  type RenderedRequest,
  renderDefaultPayload,
  renderHeadersTemplate,
  renderTemplate,
  type TemplateVariables,
} from '@ricochet/schema';
import { standardWebhookSignature, superOfficeSignature } from './signing.ts';

/**
 * The product and its version, nothing more: a `(+URL)` comment would have to name an address that
 * exists for every installation (receivers do open them), and Ricochet has none of its own to give.
 */
export const USER_AGENT = 'Ricochet-Webhooks/0.1';

/** What a delivery needs to know of its webhook. */
export type DeliveryWebhook = {
  id: string;
  requestUrl: string;
  payloadTemplate: string | null;
  headersTemplate: string | null;
  shouldInterpolateStrings: boolean;
  headers: Record<string, string> | null;
  properties: Record<string, unknown> | null;
};

export type DeliveryMessage = {
  dispatchId: string;
  variables: TemplateVariables;
};

export type DeliveryRequest = { url: string; headers: Record<string, string>; body: string };

export class TemplateRenderError extends Error {
  override name = 'TemplateRenderError';
}

/** Header names Ricochet owns, compared case-insensitively: nothing a customer sets may replace them. */
const RESERVED_HEADERS = new Set([
  ...Object.values(DELIVERY_HEADERS).map((name) => name.toLowerCase()),
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
]);

/** Merges customer headers case-insensitively (a later source wins) and drops reserved names. */
function customerHeaders(...sources: Array<Record<string, string>>): Record<string, string> {
  const merged = new Map<string, [string, string]>();
  for (const source of sources) {
    for (const [name, value] of Object.entries(source)) {
      if (!RESERVED_HEADERS.has(name.toLowerCase())) merged.set(name.toLowerCase(), [name, value]);
    }
  }
  return Object.fromEntries(merged.values());
}

/**
 * A webhook with its templates parsed, once per version of its definition (the worker caches it):
 * parsing is most of a render. A template that does not parse fails each delivery the way it
 * always did, as a TemplateRenderError.
 */
export type PreparedWebhook = DeliveryWebhook & {
  parsedPayload: ParsedTemplate | TemplateRenderError;
  parsedHeaders: ParsedTemplate | TemplateRenderError | null;
};

function parsedOrError(template: string, field: string, parse: (source: string) => ParsedTemplate) {
  try {
    return parse(template);
  } catch (error) {
    return new TemplateRenderError(`${field} could not be rendered: ${(error as Error).message}`);
  }
}

export function prepareWebhook(webhook: DeliveryWebhook): PreparedWebhook {
  return {
    ...webhook,
    parsedPayload: parsedOrError(
      webhook.payloadTemplate || DEFAULT_PAYLOAD_TEMPLATE,
      'payloadTemplate',
      parseTemplate,
    ),
    parsedHeaders: webhook.headersTemplate
      ? parsedOrError(webhook.headersTemplate, 'headersTemplate', parseHeadersTemplate)
      : null,
  };
}

function isPrepared(webhook: DeliveryWebhook | PreparedWebhook): webhook is PreparedWebhook {
  return 'parsedPayload' in webhook;
}

/** The JSON body of a delivery: the payload template (Apify's default when none), rendered, with the
 * webhook's static properties merged into its top level. */
export function renderBody(webhook: DeliveryWebhook | PreparedWebhook, variables: TemplateVariables): string {
  // Most webhooks send Apify's default payload as it is: built directly (see renderDefaultPayload).
  if (sendsDefaultPayload(webhook)) {
    const rendered = renderDefaultPayload(variables);
    if (rendered !== undefined) return rendered;
  }
  const { parsedPayload } = isPrepared(webhook) ? webhook : prepareWebhook(webhook);
  if (parsedPayload instanceof TemplateRenderError) throw parsedPayload;
  let payload: unknown;
  try {
    payload = renderTemplate(parsedPayload, variables, {
      interpolateStrings: webhook.shouldInterpolateStrings,
    });
  } catch (error) {
    throw new TemplateRenderError(`payloadTemplate could not be rendered: ${(error as Error).message}`);
  }
  return withProperties(payload, webhook.properties);
}

/** SuperOffice's Properties: custom values injected into the top level of the JSON body. */
export function withProperties(payload: unknown, properties: Record<string, unknown> | null): string {
  if (properties && payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
    return JSON.stringify({ ...(payload as Record<string, unknown>), ...properties });
  }
  // A template that is one interpolated variable with no value renders to nothing: send null.
  return JSON.stringify(payload) ?? 'null';
}

/** The signature headers' values of one request; null when its webhook had no secret. */
export type RequestSignatures = { standard: string; superOffice: string } | null;

/**
 * The headers of a delivery: the customer's (headers template, then static headers), then
 * Ricochet's own, which always win, and the signatures over the exact body, one Standard Webhooks
 * signature per live secret.
 */
export function deliveryHeaders(args: {
  webhookId: string;
  dispatchId: string;
  body: string;
  secrets: string[];
  customHeaders: Array<Record<string, string>>;
  now: Date;
  requestOrigin: string;
}): Record<string, string> {
  const timestamp = Math.floor(args.now.getTime() / 1000);
  const signatures: RequestSignatures =
    args.secrets.length > 0
      ? {
          standard: standardWebhookSignature({
            secrets: args.secrets,
            messageId: args.dispatchId,
            timestamp,
            body: args.body,
          }),
          superOffice: superOfficeSignature(args.secrets[0] as string, args.body),
        }
      : null;
  return signedHeaders({
    webhookId: args.webhookId,
    dispatchId: args.dispatchId,
    customHeaders: customerHeaders(...args.customHeaders),
    timestamp,
    signatures,
    requestOrigin: args.requestOrigin,
  });
}

/**
 * The headers of a delivery from their parts, the signatures already computed: what deliveryHeaders
 * sends, and what a stored call's request is rebuilt with (outbound/stored-request.ts), so both are
 * one function. `customHeaders` are already merged (see customerHeaders).
 */
export function signedHeaders(args: {
  webhookId: string;
  dispatchId: string;
  customHeaders: Record<string, string>;
  timestamp: number;
  signatures: RequestSignatures;
  requestOrigin: string;
  userAgent?: string;
}): Record<string, string> {
  const headers: Record<string, string> = {
    ...args.customHeaders,
    [DELIVERY_HEADERS.contentType]: 'application/json; charset=utf-8',
    [DELIVERY_HEADERS.userAgent]: args.userAgent ?? USER_AGENT,
    [DELIVERY_HEADERS.webhookId]: args.webhookId,
    [DELIVERY_HEADERS.dispatchId]: args.dispatchId,
    [DELIVERY_HEADERS.requestOrigin]: args.requestOrigin,
    [DELIVERY_HEADERS.standardId]: args.dispatchId,
    [DELIVERY_HEADERS.standardTimestamp]: String(args.timestamp),
  };
  if (args.signatures !== null) {
    headers[DELIVERY_HEADERS.standardSignature] = args.signatures.standard;
    headers[DELIVERY_HEADERS.superOfficeSignature] = args.signatures.superOffice;
  }
  return headers;
}

/**
 * Whether a webhook's body is Apify's default payload as it is (no template, no interpolation, no
 * properties): then renderBody gives what renderBody of a webhook with no templates gives, and a
 * stored call need not keep the body (it is rendered again from the event, see stored-request.ts).
 */
export function sendsDefaultPayload(webhook: DeliveryWebhook): boolean {
  return !webhook.payloadTemplate && !webhook.shouldInterpolateStrings && !webhook.properties;
}

/** Renders one delivery of a dispatch to its webhook. Throws TemplateRenderError when a template fails. */
export function buildDeliveryRequest(args: {
  webhook: DeliveryWebhook | PreparedWebhook;
  message: DeliveryMessage;
  secrets: string[];
  now: Date;
  requestOrigin: string;
}): DeliveryRequest {
  const { message } = args;
  const webhook = isPrepared(args.webhook) ? args.webhook : prepareWebhook(args.webhook);
  const body = renderBody(webhook, message.variables);
  let templateHeaders: Record<string, string> = {};
  if (webhook.parsedHeaders instanceof TemplateRenderError) throw webhook.parsedHeaders;
  try {
    if (webhook.parsedHeaders) {
      templateHeaders = renderHeadersTemplate(webhook.parsedHeaders, message.variables, {
        interpolateStrings: webhook.shouldInterpolateStrings,
      });
    }
  } catch (error) {
    throw new TemplateRenderError(`headersTemplate could not be rendered: ${(error as Error).message}`);
  }
  const headers = deliveryHeaders({
    webhookId: webhook.id,
    dispatchId: message.dispatchId,
    body,
    secrets: args.secrets,
    customHeaders: [templateHeaders, webhook.headers ?? {}],
    now: args.now,
    requestOrigin: args.requestOrigin,
  });
  return { url: webhook.requestUrl, headers, body };
}

/** The request as buildDeliveryRequest makes it, or, when it cannot be built, why not (a preview shows it). */
export function renderRequest(args: Parameters<typeof buildDeliveryRequest>[0]): RenderedRequest {
  try {
    return { ...buildDeliveryRequest(args), error: null };
  } catch (error) {
    return { url: args.webhook.requestUrl, headers: {}, body: '', error: (error as Error).message };
  }
}
