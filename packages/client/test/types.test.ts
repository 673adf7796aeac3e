import type {
  CreateWebhookInput,
  Dispatch,
  List,
  QueueState,
  UpdateWebhookInput,
  Webhook,
  WebhookCircuit,
  WebhookListItem,
} from '@ricochet/schema';
import { describe, expectTypeOf, test } from 'vitest';
import { createRicochetClient, isRicochetError, type PageRequest, type RicochetError } from '../src/index.ts';
import { verifyWebhook } from '../src/webhooks.ts';

// Compile-time checks (`pnpm typecheck` runs tsc over this file): the client's inputs and results are
// @ricochet/schema's types, so a wrong field is a type error.
const client = createRicochetClient({ baseUrl: 'http://127.0.0.1:1', token: 't', retry: false });

describe('types', () => {
  test('results are the schema types', () => {
    expectTypeOf(client.webhooks.get).returns.resolves.toEqualTypeOf<Webhook>();
    expectTypeOf(client.webhooks.list).returns.toEqualTypeOf<PageRequest<WebhookListItem>>();
    expectTypeOf<Awaited<ReturnType<typeof client.webhooks.list>>>().toEqualTypeOf<List<WebhookListItem>>();
    expectTypeOf(client.dispatches.get).returns.resolves.toEqualTypeOf<Dispatch>();
    expectTypeOf(client.webhooks.delete).returns.resolves.toEqualTypeOf<void>();
    expectTypeOf(client.webhooks.create).parameter(0).toEqualTypeOf<CreateWebhookInput>();
    expectTypeOf(client.webhooks.update).parameter(1).toEqualTypeOf<UpdateWebhookInput>();
    // The delivery engine's fields: a rate limit (null: none; null in an update lifts it), the circuit,
    // and where a dispatch stands in the queue.
    expectTypeOf<CreateWebhookInput['rateLimitPerSecond']>().toEqualTypeOf<number | null | undefined>();
    expectTypeOf<UpdateWebhookInput['rateLimitPerSecond']>().toEqualTypeOf<number | null | undefined>();
    expectTypeOf<Webhook['rateLimitPerSecond']>().toEqualTypeOf<number | null>();
    expectTypeOf<WebhookListItem['circuit']>().toEqualTypeOf<WebhookCircuit>();
    expectTypeOf<WebhookCircuit['state']>().toEqualTypeOf<'CLOSED' | 'OPEN'>();
    expectTypeOf<Dispatch['queueState']>().toEqualTypeOf<QueueState | null>();
    expectTypeOf(verifyWebhook<{ eventType: string }>).returns.resolves.toEqualTypeOf<{
      eventType: string;
    }>();
  });

  test('wrong fields are type errors', () => {
    const never = () => {
      // @ts-expect-error requestUrl is required
      void client.webhooks.create({ eventTypes: ['TEST'] });
      // @ts-expect-error there is no field named url
      void client.webhooks.create({ eventTypes: ['TEST'], requestUrl: 'https://x.example', url: 'x' });
      // @ts-expect-error state is ACTIVE or STOPPED
      void client.webhooks.update('id', { state: 'PAUSED' });
      // @ts-expect-error rateLimitPerSecond is a number
      void client.webhooks.update('id', { rateLimitPerSecond: '5' });
      // @ts-expect-error status is one of ACTIVE, SUCCEEDED, FAILED
      void client.dispatches.list({ status: 'DONE' });
      // @ts-expect-error limit is a number
      void client.webhooks.list({ limit: '10' });
      // @ts-expect-error eventType is required to publish
      void client.events.publish({ eventData: {} });
      // @ts-expect-error scope is FULL or READ_ONLY
      void client.tokens.create({ name: 'ci', scope: 'ADMIN' });
      // @ts-expect-error verifyWebhook needs a secret or secrets
      void verifyWebhook({ payload: '', headers: {} });
      // @ts-expect-error not both
      void verifyWebhook({ secret: 'a', secrets: ['b'], payload: '', headers: {} });
    };
    expectTypeOf(never).toBeFunction();
  });

  test('isRicochetError narrows to the error type asked for', () => {
    const error: unknown = undefined;
    if (isRicochetError(error, 'record-not-found')) {
      expectTypeOf(error).toEqualTypeOf<RicochetError<'record-not-found'>>();
      expectTypeOf(error.type).toEqualTypeOf<'record-not-found'>();
    }
    if (isRicochetError(error)) expectTypeOf(error.status).toBeNumber();
    // @ts-expect-error not an error type of the API
    isRicochetError(error, 'not-a-type');
  });
});
