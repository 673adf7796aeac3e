import { createHmac } from 'node:crypto';
import { describe, expect, test } from '../delivery-fixtures.ts';

/**
 * SuperOffice's own sample request for POST /api/v1/Webhook/Test, as its reference documents it
 * ("POST Webhook/Test", v1Webhook_TestWebhook). Only TargetUrl is replaced, by a local receiver.
 */
const SUPEROFFICE_SAMPLE = {
  WebhookId: 391,
  Name: 'Douglas Group',
  Events: ['est', 'mollitia'],
  TargetUrl: 'http://www.example.com/',
  Secret: 'ut',
  State: 'Active',
  Type: 'dicta',
  Headers: { Headers1: 'quam', Headers2: 'velit' },
  Properties: { fieldName: {} },
  Registered: '1999-04-12T09:41:00.1223616+02:00',
  RegisteredAssociate: {
    AssociateId: 678,
    Name: 'Jerde Inc and Sons',
    PersonId: 736,
    Rank: 397,
    Tooltip: 'dolore',
    Type: 'AnonymousAssociate',
    GroupIdx: 768,
    FullName: 'Ms. Lera Gerlach',
    FormalName: 'Armstrong-Breitenberg',
    Deleted: true,
    EjUserId: 188,
    UserName: 'McCullough-Sipes',
  },
  Updated: '2005-05-07T09:41:00.1223616+02:00',
  UpdatedAssociate: {
    AssociateId: 586,
    Name: 'Heaney LLC',
    PersonId: 52,
    Rank: 706,
    Tooltip: 'similique',
    Type: 'AnonymousAssociate',
    GroupIdx: 4,
    FullName: 'Brannon Ward',
    FormalName: 'Bradtke LLC',
    Deleted: false,
    EjUserId: 646,
    UserName: 'Nikolaus Inc and Sons',
  },
};

describe('SuperOffice POST /api/v1/Webhook/Test', () => {
  test("accepts SuperOffice's documented sample, short secret included, and calls with SuperOffice's headers", async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver();
    const response = await api.request('POST', '/api/v1/Webhook/Test', {
      body: { ...SUPEROFFICE_SAMPLE, TargetUrl: receiver.url },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().Success).toBe(true);

    const [call] = receiver.received;
    const body = JSON.parse(call?.body ?? '');
    expect(body).toMatchObject({
      Event: 'test',
      Entity: 'test',
      WebhookName: 'Douglas Group',
      fieldName: {},
    });
    expect(call?.headers['x-superoffice-event']).toBe('test');
    expect(call?.headers['x-superoffice-eventid']).toBe(body.EventId);
    expect(call?.headers['x-hook-test']).toBe('true');
    expect(call?.headers['user-agent']).toMatch(/^NetServer-Webhook\/\d+(\.\d+)* /);
    expect(call?.headers.headers1).toBe('quam');
    // Signed with the two-character secret, as SuperOffice signs: HMAC-SHA256 keyed by its bytes.
    expect(call?.headers['x-superoffice-signature']).toBe(
      createHmac('sha256', 'ut')
        .update(call?.body ?? '')
        .digest('base64'),
    );
  });

  test.for([
    [1, true],
    [2, true],
    [3, true],
    ['1', true],
    ['Active', true],
    ['stopped', true],
    ['TooManyErrors', true],
    [7, false],
    ['Sleeping', false],
    [true, false],
  ] as const)('State %j: accepted %s', async ([state, accepted], { api, delivery }) => {
    const receiver = await delivery.receiver();
    const response = await api.request('POST', '/api/v1/Webhook/Test', {
      body: { ...SUPEROFFICE_SAMPLE, TargetUrl: receiver.url, State: state },
    });
    expect(response.statusCode).toBe(accepted ? 200 : 400);
    if (!accepted) expect(response.json().Message).toMatch(/State/);
  });
});

describe("errors under /api/v1 are SuperOffice's {Error, ErrorType, Message, ErrorSource}", () => {
  const shape = {
    Error: true,
    ErrorType: expect.any(String),
    Message: expect.any(String),
    ErrorSource: expect.stringMatching(/^Ricochet/),
  };

  test('400, 401, 404 and 405 keep their statuses and headers in that shape', async ({ api }) => {
    const invalid = await api.request('POST', '/api/v1/Webhook/Test', { body: { Name: 'no url' } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toEqual({ ...shape, ErrorType: 'ArgumentException' });
    expect(invalid.json().Message).toMatch(/TargetUrl/);

    const anonymous = await api.request('POST', '/api/v1/Webhook/Test', {
      token: null,
      body: SUPEROFFICE_SAMPLE,
    });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toEqual({ ...shape, ErrorType: 'UnauthorizedAccessException' });

    const missing = await api.request('GET', '/api/v1/Webhook/Nothing');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual(shape);

    const wrongMethod = await api.request('GET', '/api/v1/Webhook/Test');
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers.allow).toBe('OPTIONS, POST');
    expect(wrongMethod.json()).toEqual({ ...shape, ErrorType: 'NotSupportedException' });
  });

  test("the Apify paths keep Apify's envelope", async ({ api }) => {
    const response = await api.request('GET', '/v2/webhooks', { token: null });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ error: { type: 'token-not-valid', message: expect.any(String) } });
  });
});
