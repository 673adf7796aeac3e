import { Webhook } from 'standardwebhooks';
import type { VerifyWebhookOptions, WebhookVerificationFailure } from '../src/webhooks.ts';

/**
 * Deliveries signed by the `standardwebhooks` package (the reference implementation), good and bad,
 * as plain JSON: the same cases run under Node and in Chromium.
 */
export type VerifyCase = {
  name: string;
  options: Omit<VerifyWebhookOptions, 'payload' | 'headers'> & {
    payload: string;
    headers: Record<string, string>;
  };
  expected: { payload: unknown } | { reason: WebhookVerificationFailure };
};

export const SECRET = `whsec_${btoa('0123456789abcdef0123456789abcdef')}`;
const OTHER_SECRET = `whsec_${btoa('another secret entirely, 32 byte')}`;

function signed(secret: string, body: string, at: Date, id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W') {
  const signature = new Webhook(secret).sign(id, at, body);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
  };
}

async function superOfficeSignature(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(body)));
  return btoa(String.fromCharCode(...mac));
}

export async function verifyCases(): Promise<VerifyCase[]> {
  const body = JSON.stringify({
    eventType: 'ACTOR.RUN.SUCCEEDED',
    eventData: { actorRunId: 'r1' },
    note: 'ünïcødé',
  });
  const now = new Date();
  const good = signed(SECRET, body, now);
  const tenMinutesAgo = new Date(now.getTime() - 10 * 60_000);
  const tenMinutesAhead = new Date(now.getTime() + 10 * 60_000);
  const payload = JSON.parse(body);
  return [
    {
      name: 'a standardwebhooks signature',
      options: { secret: SECRET, payload: body, headers: good },
      expected: { payload },
    },
    {
      name: 'headers in any case',
      options: {
        secret: SECRET,
        payload: body,
        headers: Object.fromEntries(Object.entries(good).map(([name, value]) => [name.toUpperCase(), value])),
      },
      expected: { payload },
    },
    {
      name: 'several secrets (rotation): any one matches',
      options: { secrets: [OTHER_SECRET, SECRET], payload: body, headers: good },
      expected: { payload },
    },
    {
      name: 'several signatures in the header: one is enough',
      options: {
        secret: SECRET,
        payload: body,
        headers: {
          ...good,
          'webhook-signature': `${signed(OTHER_SECRET, body, now)['webhook-signature']} ${good['webhook-signature']}`,
        },
      },
      expected: { payload },
    },
    {
      name: 'a tampered body',
      options: { secret: SECRET, payload: body.replace('r1', 'r2'), headers: good },
      expected: { reason: 'no-matching-signature' },
    },
    {
      name: 'a wrong secret',
      options: { secret: OTHER_SECRET, payload: body, headers: good },
      expected: { reason: 'no-matching-signature' },
    },
    {
      name: 'an old timestamp (10 minutes, default tolerance 5)',
      options: { secret: SECRET, payload: body, headers: signed(SECRET, body, tenMinutesAgo) },
      expected: { reason: 'timestamp-too-old' },
    },
    {
      name: 'an old timestamp within a larger tolerance',
      options: {
        secret: SECRET,
        payload: body,
        headers: signed(SECRET, body, tenMinutesAgo),
        tolerance: 3600,
      },
      expected: { payload },
    },
    {
      name: 'a timestamp in the future',
      options: { secret: SECRET, payload: body, headers: signed(SECRET, body, tenMinutesAhead) },
      expected: { reason: 'timestamp-in-future' },
    },
    {
      name: 'a signature replayed with a new timestamp',
      options: {
        secret: SECRET,
        payload: body,
        headers: { ...signed(SECRET, body, tenMinutesAgo), 'webhook-timestamp': good['webhook-timestamp'] },
      },
      expected: { reason: 'no-matching-signature' },
    },
    {
      name: 'a missing signature header',
      options: {
        secret: SECRET,
        payload: body,
        headers: { 'webhook-id': good['webhook-id'], 'webhook-timestamp': good['webhook-timestamp'] },
      },
      expected: { reason: 'missing-header' },
    },
    {
      name: 'a timestamp that is not a number',
      options: { secret: SECRET, payload: body, headers: { ...good, 'webhook-timestamp': 'yesterday' } },
      expected: { reason: 'invalid-timestamp' },
    },
    {
      name: 'X-SuperOffice-Signature when asked',
      options: {
        secret: 'my-shared-secret',
        superOffice: true,
        payload: body,
        headers: { 'X-SuperOffice-Signature': await superOfficeSignature('my-shared-secret', body) },
      },
      expected: { payload },
    },
    {
      name: 'X-SuperOffice-Signature over a tampered body',
      options: {
        secret: 'my-shared-secret',
        superOffice: true,
        payload: `${body} `,
        headers: { 'X-SuperOffice-Signature': await superOfficeSignature('my-shared-secret', body) },
      },
      expected: { reason: 'no-matching-signature' },
    },
  ];
}
