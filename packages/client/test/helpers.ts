import type { IncomingMessage } from 'node:http';
import { type Browser, chromium } from 'playwright-core';
import type { FetchLike } from '../src/index.ts';

export type RecordedCall = { method: string; url: string; status: number };

/** A fetch that records every attempt (status 0: no answer), to count what the client sent. */
export function recordingFetch(onAnswer?: (call: RecordedCall) => void | Promise<void>) {
  const calls: RecordedCall[] = [];
  const fetchWithLog: FetchLike = async (input, init) => {
    const call = { method: init.method ?? 'GET', url: input, status: 0 };
    try {
      const response = await fetch(input, init);
      call.status = response.status;
      return response;
    } finally {
      calls.push(call);
      await onAnswer?.(call);
    }
  };
  return { calls, fetch: fetchWithLog };
}

/** Calls `read` until `done` holds for its result, within a budget sized for a loaded 2-core machine. */
export async function waitUntil<Value>(
  read: () => Promise<Value>,
  done: (value: Value) => boolean,
  budgetMs = 30_000,
): Promise<Value> {
  const deadline = Date.now() + budgetMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${budgetMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Debian's Chromium, headless, with the background traffic that this machine's closed network refuses turned off. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Sends a request that reached a test proxy on to Ricochet; the answer's status and body. */
export async function forwardRequest(baseUrl: string, request: IncomingMessage) {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const upstream = await fetch(`${baseUrl}${request.url}`, {
    method: request.method ?? 'GET',
    headers: {
      authorization: request.headers.authorization ?? '',
      ...(request.headers['content-type'] && { 'content-type': request.headers['content-type'] }),
    },
    ...(chunks.length > 0 && { body: Buffer.concat(chunks) }),
  });
  return { status: upstream.status, body: await upstream.text() };
}
