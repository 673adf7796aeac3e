import { describe, expect, test } from 'vitest';
import { CreateWebhookInputSchema, PaginationQuerySchema, UpdateWebhookInputSchema } from '../src/index.ts';

describe('PaginationQuerySchema', () => {
  test('defaults to offset 0, limit 1000, ascending', () => {
    expect(PaginationQuerySchema.parse({})).toEqual({ offset: 0, limit: 1000, desc: false });
  });
  test.each([
    ['1', true],
    ['true', true],
    ['0', false],
    ['false', false],
  ])('reads desc=%s as %s', (desc, expected) => {
    expect(PaginationQuerySchema.parse({ desc }).desc).toBe(expected);
  });
  test('rejects a limit over 1000 and a desc that is not a flag', () => {
    expect(PaginationQuerySchema.safeParse({ limit: '1001' }).success).toBe(false);
    expect(PaginationQuerySchema.safeParse({ desc: 'yes' }).success).toBe(false);
    expect(PaginationQuerySchema.safeParse({ offset: '-1' }).success).toBe(false);
  });
});

describe('CreateWebhookInputSchema', () => {
  const valid = { eventTypes: ['ACTOR.RUN.SUCCEEDED'], requestUrl: 'https://example.com/hook' };

  test('accepts the minimal webhook and ignores unknown fields', () => {
    const parsed = CreateWebhookInputSchema.parse({ ...valid, somethingElse: 1 });
    expect(parsed).toEqual(valid);
  });

  test.each([
    [{ ...valid, requestUrl: 'ftp://example.com' }, 'requestUrl'],
    [{ ...valid, requestUrl: '/relative' }, 'requestUrl'],
    [{ ...valid, eventTypes: ['not an event type!'] }, 'eventTypes'],
    [{ ...valid, payloadTemplate: '{"a": }' }, 'payloadTemplate'],
    [{ ...valid, headersTemplate: '"x"' }, 'headersTemplate'],
    [{ ...valid, description: 'x'.repeat(2001) }, 'description'],
    [{ ...valid, headers: { 'bad header': 'x' } }, 'headers'],
  ])('rejects a bad field (%#: %s)', (input, field) => {
    const result = CreateWebhookInputSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path[0]).toBe(field);
  });

  test('update input is partial but keeps the rules of each field', () => {
    expect(UpdateWebhookInputSchema.parse({ description: 'x' })).toEqual({ description: 'x' });
    expect(UpdateWebhookInputSchema.safeParse({ requestUrl: 'ftp://example.com' }).success).toBe(false);
    // Apify's WebhookUpdate takes null for every field, eventTypes and requestUrl included.
    expect(UpdateWebhookInputSchema.parse({ eventTypes: null, requestUrl: null })).toEqual({
      eventTypes: null,
      requestUrl: null,
    });
  });
});
