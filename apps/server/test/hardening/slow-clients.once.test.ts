import { connect, type Socket } from 'node:net';
import { captureLog, describe, expect, startTestApi, test } from '../app-fixtures.ts';

const REQUEST_TIMEOUT_MS = 1_500;

type SlowConnection = { socket: Socket; answer: () => string; closedAt: () => number | null };

/** A connection that sends `head` at once and then one byte of `trickle` every `intervalMs`. */
function slowConnection(port: number, head: string, trickle: string, intervalMs: number): SlowConnection {
  const socket = connect(port, '127.0.0.1');
  let answer = '';
  let closedAt: number | null = null;
  let sent = 0;
  socket.on('connect', () => socket.write(head));
  socket.on('data', (chunk) => (answer += chunk.toString('utf8')));
  socket.on('error', () => {});
  socket.on('close', () => {
    closedAt = Date.now();
    clearInterval(timer);
  });
  const timer = setInterval(() => {
    if (!socket.writable || sent >= trickle.length) return;
    socket.write(trickle[sent++] as string);
  }, intervalMs);
  return { socket, answer: () => answer, closedAt: () => closedAt };
}

describe('clients that are slow, or go away', () => {
  test('request bodies (and headers) that never finish are answered 408 and closed, 50 at once', async ({
    db,
  }) => {
    const { api, close } = await startTestApi(db.prisma, { REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) });
    const port = Number(new URL(await api.listen()).port);
    const started = Date.now();
    const connections: SlowConnection[] = [];
    try {
      for (let index = 0; index < 40; index++) {
        // A body of 10,000 bytes announced, one byte every 200 ms: it would take half an hour.
        connections.push(
          slowConnection(
            port,
            'POST /v2/webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n',
            `{"description":"${'x'.repeat(9_000)}`,
            200,
          ),
        );
      }
      for (let index = 0; index < 10; index++) {
        // Headers that never end.
        connections.push(
          slowConnection(port, 'GET /v2/webhooks HTTP/1.1\r\n', `X-Slow: ${'y'.repeat(5_000)}`, 200),
        );
      }
      await expect
        .poll(() => connections.filter((connection) => connection.closedAt() === null).length, {
          timeout: 30_000,
          interval: 100,
        })
        .toBe(0);
      for (const connection of connections) {
        // Closed by the server soon after the timeout (Node checks every quarter of it), with the envelope.
        expect((connection.closedAt() as number) - started).toBeLessThan(REQUEST_TIMEOUT_MS * 4 + 2_000);
        expect(connection.answer()).toMatch(/^HTTP\/1\.1 408 /);
        expect(connection.answer()).toContain('"type":"request-timeout"');
      }
      // A quick request still works.
      expect((await api.request('GET', '/v2/webhooks')).statusCode).toBe(200);
    } finally {
      for (const connection of connections) connection.socket.destroy();
      await close();
    }
  });

  test('a client hanging up mid-body is not logged as the database being unavailable', async ({ db }) => {
    const log = captureLog();
    const { api, close } = await startTestApi(db.prisma, { LOG_LEVEL: 'debug' }, { log });
    const port = Number(new URL(await api.listen()).port);
    try {
      for (const path of ['/v2/webhooks', '/trpc/webhooks.create', '/v2/events']) {
        const from = log.lines.length;
        const since = () => log.lines.slice(from);
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => {});
        await new Promise<void>((resolve) => socket.on('connect', resolve));
        socket.write(
          `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${api.admin.token}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"a":',
        );
        // Once the server is reading the body, the client resets the connection (ECONNRESET).
        await expect
          .poll(() => since().some((line) => line.includes('"incoming request"') && line.includes(path)))
          .toBe(true);
        socket.resetAndDestroy();
        await expect
          .poll(() => since().some((line) => line.includes('client closed the connection')), {
            timeout: 10_000,
          })
          .toBe(true);
      }
      expect((await api.request('GET', '/readyz')).statusCode).toBe(200);
    } finally {
      await close();
    }
    const warnings = log.lines.filter((line) => JSON.parse(line).level >= 40);
    expect(warnings.join('\n')).not.toMatch(/database unavailable/);
  });
});
