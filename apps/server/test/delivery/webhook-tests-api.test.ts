import { Webhook } from 'standardwebhooks';
import { appRouter } from '../../src/api/index.ts';
import { createCallerFactory } from '../../src/api/trpc.ts';
import { HttpSender } from '../../src/outbound/http-sender.ts';
import { authenticateToken } from '../../src/services/tokens.ts';
import { describe, expect, respond, test } from '../delivery-fixtures.ts';
import { countDispatches } from '../dispatch-rows.ts';

const SECRET = `whsec_${Buffer.from('a test secret of 24 bytes').toString('base64')}`;

describe('POST /v2/webhook-tests: test an unsaved definition', () => {
  test('renders the TEST event through the templates, signs, sends once, stores nothing', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver(respond(200, 'pong'));
    const response = await api.request('POST', '/v2/webhook-tests', {
      body: {
        requestUrl: `${receiver.url}/hook`,
        payloadTemplate: '{"run": {{resource.id}}, "type": {{eventType}}}',
        headersTemplate: '{"X-Run": {{eventData.actorRunId}}}',
        headers: { 'X-Static': 'yes' },
        properties: { team: 'growth' },
        secret: SECRET,
        condition: { actorId: 'ignored-here' },
      },
    });
    expect(response.statusCode).toBe(200);
    const result = response.json().data;
    expect(result).toMatchObject({
      succeeded: true,
      request: { url: `${receiver.url}/hook` },
      call: { responseStatus: 200, responseBody: 'pong', errorMessage: null },
    });
    const [received] = receiver.received;
    expect(received?.body).toBe(result.request.body);
    expect(JSON.parse(received?.body ?? '')).toEqual({
      run: 'TEST_ACTOR_RUN_ID',
      type: 'TEST',
      team: 'growth',
    });
    expect(received?.headers['x-run']).toBe('TEST_ACTOR_RUN_ID');
    expect(received?.headers['x-static']).toBe('yes');
    const headers = Object.fromEntries(
      Object.entries(received?.headers ?? {}).map(([name, value]) => [name, String(value)]),
    );
    expect(() => new Webhook(SECRET).verify(received?.body ?? '', headers)).not.toThrow();
    expect(await api.prisma.webhook.count()).toBe(0);
    expect(await countDispatches(api.prisma)).toBe(0);
  });

  test('a failing receiver is succeeded false with its answer; a bad definition is 400', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver(respond(500, 'nope'));
    const failed = (
      await api.request('POST', '/v2/webhook-tests', { body: { requestUrl: receiver.url } })
    ).json().data;
    expect(failed).toMatchObject({ succeeded: false, call: { responseStatus: 500, responseBody: 'nope' } });
    expect(failed.request.headers['webhook-signature']).toBeUndefined();
    const invalid = await api.request('POST', '/v2/webhook-tests', {
      body: { requestUrl: receiver.url, payloadTemplate: '{"a": {{nope' },
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error).toMatchObject({ type: 'invalid-input', message: /payloadTemplate/ });
    const readOnly = await api.readOnlyToken(api.admin);
    const refused = await api.request('POST', '/v2/webhook-tests', {
      token: readOnly,
      body: { requestUrl: receiver.url },
    });
    expect(refused.statusCode).toBe(403);
  });

  test('the tRPC procedure webhooks.testUnsaved answers what REST answers', async ({ api, delivery }) => {
    const sender = new HttpSender({
      policy: { allowLoopback: true, allowPrivate: false },
      userAgent: 'test',
    });
    try {
      const caller = createCallerFactory(appRouter)({
        prisma: api.prisma,
        sender,
        config: api.config,
        principal: await authenticateToken(api.prisma, api.admin.token),
      });
      const receiver = await delivery.receiver(respond(202, 'accepted'));
      const result = await caller.webhooks.testUnsaved({ requestUrl: receiver.url, eventTypes: ['TEST'] });
      expect(result).toMatchObject({
        succeeded: true,
        call: { responseStatus: 202, responseBody: 'accepted' },
      });
      expect(JSON.parse(result.request.body)).toMatchObject({ eventType: 'TEST', userId: api.admin.id });
    } finally {
      await sender.close();
    }
  });
});
