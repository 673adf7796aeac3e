import { MAX_EVENT_TYPES_PER_USER, OPERATIONAL_EVENT_TYPES } from '@ricochet/schema';
import { describe, expect, test } from '../app-fixtures.ts';

describe('users and tokens', () => {
  test('an admin creates users, who get a first token that works at once', async ({ api }) => {
    const created = await api.request('POST', '/v2/users', { body: { username: 'carol' } });
    expect(created.statusCode).toBe(201);
    const { user, token } = created.json().data;
    expect(user).toMatchObject({ username: 'carol', isAdmin: false });
    expect(token.token).toMatch(/^ricochet_api_[A-Za-z0-9]{36}$/);
    const me = await api.request('GET', '/v2/users/me', { token: token.token });
    expect(me.json().data).toEqual(user);
    const users = (await api.request('GET', '/v2/users')).json().data;
    expect(users.map((u: { username: string }) => u.username)).toEqual(['admin', 'carol']);

    const duplicate = await api.request('POST', '/v2/users', { body: { username: 'carol' } });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json().error.type).toBe('record-not-unique');
  });

  test('only admins manage users', async ({ api }) => {
    const dave = await api.createUser('dave');
    for (const [method, body] of [
      ['GET', undefined],
      ['POST', { username: 'eve' }],
    ] as const) {
      const response = await api.request(method, '/v2/users', { token: dave.token, ...(body && { body }) });
      expect(response.statusCode).toBe(403);
      expect(response.json().error.type).toBe('permission-denied');
    }
  });

  test('tokens are stored hashed, listed without their values, scoped, and revocable only by their user', async ({
    api,
  }) => {
    const created = (
      await api.request('POST', '/v2/users/me/tokens', { body: { name: 'ci', scope: 'READ_ONLY' } })
    ).json().data;
    expect(created).toMatchObject({ name: 'ci', scope: 'READ_ONLY', lastUsedAt: null });
    const stored = await api.prisma.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(stored.tokenHash).not.toContain(created.token);
    expect(stored.tokenHash).toMatch(/^[0-9a-f]{64}$/);

    const listed = (await api.request('GET', '/v2/users/me/tokens')).json().data;
    expect(listed.map((token: { name: string }) => token.name)).toEqual(['default', 'ci']);
    expect(JSON.stringify(listed)).not.toContain(created.token);

    const readOnlyWrite = await api.request('POST', '/v2/users/me/tokens', {
      token: created.token,
      body: { name: 'x' },
    });
    expect(readOnlyWrite.statusCode).toBe(403);

    const mallory = await api.createUser('mallory');
    const foreign = await api.request('DELETE', `/v2/users/me/tokens/${created.id}`, {
      token: mallory.token,
    });
    expect(foreign.statusCode).toBe(404);
    expect((await api.request('GET', '/v2/users/me', { token: created.token })).statusCode).toBe(200);
  });

  test('event types: the built-in catalogue plus registered ones, which webhooks may then use', async ({
    api,
  }) => {
    const before = await api.request('POST', '/v2/webhooks', {
      body: { eventTypes: ['contact.created'], requestUrl: 'https://example.com/' },
    });
    expect(before.statusCode).toBe(400);
    const registered = await api.request('POST', '/v2/event-types', {
      body: { name: 'contact.created', description: 'A contact' },
    });
    expect(registered.statusCode).toBe(201);
    expect(
      (await api.request('POST', '/v2/event-types', { body: { name: 'contact.created' } })).statusCode,
    ).toBe(409);
    expect((await api.request('POST', '/v2/event-types', { body: { name: 'TEST' } })).statusCode).toBe(409);
    const after = await api.request('POST', '/v2/webhooks', {
      body: { eventTypes: ['contact.created', 'TEST'], requestUrl: 'https://example.com/' },
    });
    expect(after.statusCode).toBe(201);
    const types = (await api.request('GET', '/v2/event-types')).json().data;
    // Apify's 12 (TEST included), Ricochet's operational events, then the user's own.
    expect(types).toHaveLength(12 + OPERATIONAL_EVENT_TYPES.length + 1);
    expect(types.at(-1)).toMatchObject({ name: 'contact.created', builtIn: false, description: 'A contact' });
    // Types are per user.
    const other = await api.createUser('other');
    const theirs = await api.request('POST', '/v2/webhooks', {
      token: other.token,
      body: { eventTypes: ['contact.created'], requestUrl: 'https://example.com/' },
    });
    expect(theirs.statusCode).toBe(400);
  });

  test('a user has at most MAX_EVENT_TYPES_PER_USER event types of their own (the catalogue is one answer)', async ({
    api,
  }) => {
    await api.prisma.eventType.createMany({
      data: Array.from({ length: MAX_EVENT_TYPES_PER_USER }, (_, index) => ({
        id: `SeedEventType${String(index).padStart(4, '0')}`,
        userId: api.admin.id,
        name: `seeded.type${index}`,
      })),
    });
    const refused = await api.request('POST', '/v2/event-types', { body: { name: 'one.too.many' } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.message).toMatch(/delete one first/);
    // Another user has their own allowance.
    const other = await api.createUser('other');
    expect(
      (await api.request('POST', '/v2/event-types', { token: other.token, body: { name: 'one.too.many' } }))
        .statusCode,
    ).toBe(201);
  });
});
