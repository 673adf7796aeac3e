/** Header names Ricochet sets on every delivery; templates and static headers cannot override them. */
export const DELIVERY_HEADERS = {
  contentType: 'Content-Type',
  userAgent: 'User-Agent',
  webhookId: 'X-Apify-Webhook',
  dispatchId: 'X-Apify-Webhook-Dispatch-Id',
  requestOrigin: 'X-Apify-Request-Origin',
  standardId: 'webhook-id',
  standardTimestamp: 'webhook-timestamp',
  standardSignature: 'webhook-signature',
  superOfficeSignature: 'X-SuperOffice-Signature',
  // On SuperOffice's Webhook/Test call, as SuperOffice sends them.
  superOfficeEvent: 'X-SuperOffice-Event',
  superOfficeEventId: 'X-SuperOffice-EventId',
  hookTest: 'X-Hook-Test',
} as const;
