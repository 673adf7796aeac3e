// What an alert e-mail says. Plain text only: every value in it (a URL, a description, an error) is
// the user's or the receiver's, and text cannot smuggle markup or links that are not shown.
import { OperationalEventDataSchemas } from '@ricochet/schema';

export type AlertEmailMessage = { subject: string; text: string };

/** Control characters (a CR/LF in a description) would break a header line; they become spaces. */
function oneLine(value: string, max: number): string {
  const flat = value.replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * Where the webhook points, without what a URL can carry of credentials (user:password@, a query
 * with a token): a mail leaves the installation, to an address the owner chose.
 */
function shownUrl(requestUrl: string): string {
  try {
    const url = new URL(requestUrl);
    return oneLine(`${url.protocol}//${url.host}${url.pathname}${url.search ? '?…' : ''}`, 500);
  } catch {
    return oneLine(requestUrl.replace(/[?#].*$/s, ''), 500);
  }
}

function lastResult(data: { lastResponseStatus: number | null; lastError: string | null }): string {
  if (data.lastResponseStatus !== null) return `The last call was answered HTTP ${data.lastResponseStatus}.`;
  if (data.lastError) return `The last call failed: ${oneLine(data.lastError, 500)}`;
  return '';
}

/**
 * The mail for a `ricochet.webhook.failing` or `ricochet.webhook.disabled` event, with a link to the
 * webhook's page on the dashboard. null for any other type (nothing else is mailed).
 */
export function renderAlertEmail(args: {
  eventType: string;
  eventData: unknown;
  dashboardUrl: string;
  brandName: string;
}): AlertEmailMessage | null {
  const { eventType, dashboardUrl, brandName } = args;
  const link = (webhookId: string) =>
    `${dashboardUrl.replace(/\/+$/, '')}/webhooks/${encodeURIComponent(webhookId)}`;
  if (eventType === 'ricochet.webhook.failing') {
    const data = OperationalEventDataSchemas['ricochet.webhook.failing'].safeParse(args.eventData);
    if (!data.success) return null;
    const name = oneLine(data.data.description || shownUrl(data.data.requestUrl), 120);
    const what =
      data.data.reason === 'NO_RESPONSE'
        ? `${data.data.failures} calls in a row got no response (refused, reset or timed out). Its dispatches wait while ${brandName} probes it now and then; they go out once it answers.`
        : `${data.data.failures} of its dispatches in a row have failed after every retry. If this goes on, the webhook will be disabled.`;
    return {
      subject: `[${brandName}] Webhook failing: ${name}`,
      text: [
        `Your webhook to ${shownUrl(data.data.requestUrl)} is failing.`,
        '',
        what,
        lastResult(data.data),
        '',
        `See it: ${link(data.data.webhookId)}`,
        '',
        `You get this mail because this address is set to be told about this webhook in ${brandName}.`,
      ].join('\n'),
    };
  }
  if (eventType === 'ricochet.webhook.disabled') {
    const data = OperationalEventDataSchemas['ricochet.webhook.disabled'].safeParse(args.eventData);
    if (!data.success) return null;
    const name = oneLine(data.data.description || shownUrl(data.data.requestUrl), 120);
    const what =
      data.data.reason === 'GONE'
        ? 'Its receiver answered 410 Gone, so the webhook was stopped.'
        : `Its latest ${data.data.failedDispatches ?? 'several'} dispatches all failed, so the webhook was set TOO_MANY_ERRORS.`;
    return {
      subject: `[${brandName}] Webhook disabled: ${name}`,
      text: [
        `Your webhook to ${shownUrl(data.data.requestUrl)} was disabled: it receives no events until it is switched on again.`,
        '',
        what,
        lastResult(data.data),
        '',
        `Fix the receiver, then switch the webhook on: ${link(data.data.webhookId)}`,
        '',
        `You get this mail because this address is set to be told about this webhook in ${brandName}.`,
      ].join('\n'),
    };
  }
  return null;
}
