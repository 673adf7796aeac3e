import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DELIVERY_HEADERS } from '@ricochet/schema';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  secretKeyBytes,
  standardWebhookSignature,
  superOfficeSignature,
} from '../../src/outbound/signing.ts';

const newSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

function standardHeaders(messageId: string, timestamp: number, signature: string): Record<string, string> {
  return {
    [DELIVERY_HEADERS.standardId]: messageId,
    [DELIVERY_HEADERS.standardTimestamp]: String(timestamp),
    [DELIVERY_HEADERS.standardSignature]: signature,
  };
}

describe('secretKeyBytes', () => {
  it('decodes whsec_ secrets from base64', () => {
    const key = randomBytes(24);
    expect(secretKeyBytes(`whsec_${key.toString('base64')}`).equals(key)).toBe(true);
  });

  it('uses the UTF-8 bytes of any other secret', () => {
    expect(secretKeyBytes('my søper secret').equals(Buffer.from('my søper secret', 'utf8'))).toBe(true);
  });

  it('treats whsec_ followed by something that is not base64 as a chosen secret', () => {
    expect(secretKeyBytes('whsec_not base64!').equals(Buffer.from('whsec_not base64!', 'utf8'))).toBe(true);
  });
});

describe('standardWebhookSignature', () => {
  const body = JSON.stringify({ eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { actorRunId: 'abc' } });
  const messageId = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  const timestamp = Math.floor(Date.now() / 1000);

  it('verifies with the standardwebhooks library', () => {
    const secret = newSecret();
    const signature = standardWebhookSignature({ secrets: [secret], messageId, timestamp, body });
    expect(signature).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
    expect(new Webhook(secret).verify(body, standardHeaders(messageId, timestamp, signature))).toEqual(
      JSON.parse(body),
    );
  });

  it('signs once per live secret so either side of a rotation verifies', () => {
    const oldSecret = newSecret();
    const newer = newSecret();
    const signature = standardWebhookSignature({ secrets: [newer, oldSecret], messageId, timestamp, body });
    expect(signature.split(' ')).toHaveLength(2);
    const headers = standardHeaders(messageId, timestamp, signature);
    expect(() => new Webhook(newer).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(oldSecret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow(/No matching signature/);
  });

  it('fails verification for a tampered body, id or timestamp', () => {
    const secret = newSecret();
    const signature = standardWebhookSignature({ secrets: [secret], messageId, timestamp, body });
    const webhook = new Webhook(secret);
    expect(() => webhook.verify(`${body} `, standardHeaders(messageId, timestamp, signature))).toThrow();
    expect(() => webhook.verify(body, standardHeaders(`${messageId}x`, timestamp, signature))).toThrow();
    expect(() => webhook.verify(body, standardHeaders(messageId, timestamp - 1, signature))).toThrow();
  });

  it('signs with the UTF-8 bytes of a chosen secret', () => {
    const secret = 'a secret someone typed';
    const signature = standardWebhookSignature({ secrets: [secret], messageId, timestamp, body });
    const raw = new Webhook(Buffer.from(secret, 'utf8'), { format: 'raw' });
    expect(() => raw.verify(body, standardHeaders(messageId, timestamp, signature))).not.toThrow();
  });

  it('rejects an empty secret list and a fractional timestamp', () => {
    expect(() => standardWebhookSignature({ secrets: [], messageId, timestamp, body })).toThrow(RangeError);
    expect(() =>
      standardWebhookSignature({ secrets: [newSecret()], messageId, timestamp: timestamp + 0.5, body }),
    ).toThrow(RangeError);
  });
});

describe('superOfficeSignature', () => {
  const body = '{"EventId":"x","Event":"contact.created","PrimaryKey":42}';

  function verify(secret: string, payload: string, header: string): boolean {
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(payload, 'utf8').digest();
    const given = Buffer.from(header, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  it('is the base64 HMAC-SHA256 of the body keyed by the secret as typed', () => {
    const secret = 'people pick this one';
    const header = superOfficeSignature(secret, body);
    expect(verify(secret, body, header)).toBe(true);
    expect(verify(secret, body.replace('42', '43'), header)).toBe(false);
    expect(verify('another secret', body, header)).toBe(false);
  });

  it('keys whsec_ secrets by their text too, as SuperOffice receivers do', () => {
    const secret = newSecret();
    expect(verify(secret, body, superOfficeSignature(secret, body))).toBe(true);
  });
});
