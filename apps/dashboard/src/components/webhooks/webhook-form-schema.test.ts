import { UpdateWebhookInputSchema, type Webhook } from '@ricochet/schema';
import { describe, expect, test } from 'vitest';
import { EMPTY_WEBHOOK_FORM, formValuesOf, toWebhookInput, WebhookFormSchema } from './webhook-form-schema';

// The fields of a webhook its form edits; the rest (id, stats, state, ...) the form never sends.
const definition = {
  requestUrl: 'https://example.com/hook',
  eventTypes: ['ACTOR.RUN.SUCCEEDED', 'ACTOR.RUN.FAILED'],
  description: 'Orders to the warehouse',
  doNotRetry: true,
  ignoreSslErrors: false,
  shouldInterpolateStrings: true,
  payloadTemplate: '{"run": {{resource}}}',
  headersTemplate: '{"x-run": {{eventData.actorRunId}}}',
  condition: { actorId: 'hksJZtadYvn4mBuin', actorTaskId: null, actorRunId: null },
  headers: { 'x-team': 'warehouse' },
  properties: { region: 'eu' },
  rateLimitPerSecond: 25,
  errorsEmail: 'oncall@example.com',
  propagateTraceContext: false,
};

describe("the webhook form's mapping, both ways", () => {
  test('a saved webhook, shown in the form and saved unchanged, sends back exactly its definition', () => {
    const values = formValuesOf({ ...definition, id: 'w1' } as unknown as Webhook);
    const input = toWebhookInput(WebhookFormSchema.parse(values));
    expect(UpdateWebhookInputSchema.parse(input)).toEqual(definition);
  });

  test('emptied fields are sent as null: they clear the template, condition, headers, rate limit and errors e-mail', () => {
    const input = toWebhookInput(
      WebhookFormSchema.parse({
        ...EMPTY_WEBHOOK_FORM,
        requestUrl: 'https://example.com/hook',
        eventTypes: ['TEST'],
        secret: 'whsec_c2VjcmV0IHNlY3JldA==',
      }),
    );
    expect(input).toMatchObject({
      description: null,
      payloadTemplate: null,
      headersTemplate: null,
      condition: { actorId: null, actorTaskId: null, actorRunId: null },
      headers: null,
      properties: null,
      rateLimitPerSecond: null,
      errorsEmail: null,
      propagateTraceContext: true,
    });
  });
});
