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
