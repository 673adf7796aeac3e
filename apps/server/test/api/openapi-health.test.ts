import { describe, expect, test } from '../app-fixtures.ts';

describe('OpenAPI, health', () => {
  test('/openapi.json is an OpenAPI 3.1 document of every route, with schemas from zod', async ({ api }) => {
    const response = await api.request('GET', '/openapi.json', { token: null });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toBe('3.1.0');
    const create = document.paths['/v2/webhooks'].post;
    expect(create.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/CreateWebhookInput',
    );
    expect(create.responses['201'].content['application/json'].schema.properties.data.$ref).toBe(
      '#/components/schemas/Webhook',
    );
    expect(document.components.schemas.CreateWebhookInput.required).toEqual(['eventTypes', 'requestUrl']);
    expect(document.paths['/v2/webhooks/{webhookId}'].put.parameters).toEqual([
      expect.objectContaining({ name: 'webhookId', in: 'path', required: true }),
    ]);
    expect(document.paths['/v2/webhooks'].get.parameters.map((p: { name: string }) => p.name)).toEqual([
      'offset',
      'limit',
      'desc',
    ]);
    // SuperOffice's path documents SuperOffice's error shape, the Apify paths Apify's envelope.
    expect(
      document.paths['/api/v1/Webhook/Test'].post.responses['400'].content['application/json'].schema.$ref,
    ).toBe('#/components/schemas/SuperOfficeError');
    expect(create.responses['400'].content['application/json'].schema.$ref).toBe(
      '#/components/schemas/ErrorEnvelope',
    );
    // Every $ref points at a component that exists.
    const refs = JSON.stringify(document).match(/#\/components\/schemas\/[A-Za-z0-9.]+/g) ?? [];
    for (const ref of new Set(refs)) {
      expect(document.components.schemas, ref).toHaveProperty(ref.split('/').at(-1) as string);
    }
  });

  test('/docs is the API reference, rendered from /openapi.json by a script the server itself serves', async ({
    api,
  }) => {
    const bare = await api.request('GET', '/docs', { token: null });
    expect([bare.statusCode, bare.headers.location]).toEqual([301, '/docs/']);
    const page = await api.request('GET', '/docs/', { token: null });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<title>Ricochet API</title>');
    expect(page.body).toContain('"url": "/openapi.json"');
    // No script, style or font from anywhere else: the reference works where the server does.
    const sources = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] as string);
    expect(sources).toEqual(['js/scalar.js']);
    const script = await api.request('GET', '/docs/js/scalar.js', { token: null });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.body.length).toBeGreaterThan(100_000);
    // What the reference does not serve is the API's envelope with a 4xx, like every other path.
    for (const [method, path] of [
      ['POST', '/docs/'],
      ['DELETE', '/docs/js/scalar.js'],
      ['GET', '/docs/nope'],
      ['GET', '/docs/js/%2e%2e/openapi.json'],
    ] as const) {
      const refused = await api.request(method, path, { token: null });
      expect([refused.statusCode, refused.json().error.type], `${method} ${path}`).toEqual([
        404,
        'record-not-found',
      ]);
    }
  });

  test('/healthz and /readyz answer without a token', async ({ api }) => {
    expect((await api.request('GET', '/healthz', { token: null })).json()).toEqual({ status: 'ok' });
    expect((await api.request('GET', '/readyz', { token: null })).json()).toEqual({ status: 'ready' });
  });
});

describe('internal failures', () => {
  test('a failure the client cannot fix is a 500 internal-server-error envelope, never a stack', async ({
    api,
    db,
  }) => {
    // A real failure: the database goes away under the running server.
    await db.close();
    const response = await api.request('GET', '/v2/webhooks');
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({
      error: {
        type: 'internal-server-error',
        message: 'Internal server error. The problem has been logged.',
      },
    });
    expect(response.body).not.toMatch(/at .*\.ts:\d+/);
    const readiness = await api.request('GET', '/readyz', { token: null });
    expect(readiness.statusCode).toBe(503);
  });
});
