import { describe, expect, test } from 'vitest';
import { type EventToStore, PublishQueue } from '../../src/services/publish-grouping.ts';

const event = (id: string): EventToStore => ({
  id,
  userId: 'user',
  eventType: 'ACTOR.RUN.SUCCEEDED',
  eventData: {},
  resource: null,
  idempotencyKey: null,
  limit: 1000,
  traceparent: null,
});

/** A store that holds each statement until the test releases it, recording the batches. */
function heldStore(refuse: (event: EventToStore) => boolean = () => false) {
  const batches: string[][] = [];
  const release: Array<() => void> = [];
  const store = async (events: EventToStore[]) => {
    batches.push(events.map((entry) => entry.id));
    await new Promise<void>((resolve) => release.push(resolve));
    if (events.some(refuse)) throw new Error('refused');
    return { rows: events.map((entry) => ({ id: entry.id })), refused: new Map<string, number>() };
  };
  return { batches, release, store };
}

describe('PublishQueue', () => {
  test('a lone publish goes at once; publishes arriving while the statements run share the next one', async () => {
    const { batches, release, store } = heldStore();
    const queue = new PublishQueue(store, 1);
    const first = queue.publish(event('a'));
    expect(batches).toEqual([['a']]);
    const rest = ['b', 'c', 'd'].map((id) => queue.publish(event(id)));
    expect(batches).toEqual([['a']]);
    release.shift()?.();
    expect(await first).toEqual({ row: { id: 'a' } });
    await expect.poll(() => batches).toEqual([['a'], ['b', 'c', 'd']]);
    release.shift()?.();
    expect(await Promise.all(rest)).toEqual([
      { row: { id: 'b' } },
      { row: { id: 'c' } },
      { row: { id: 'd' } },
    ]);
  });

  test('up to maxStatements statements run at once', async () => {
    const { batches, release, store } = heldStore();
    const queue = new PublishQueue(store, 2);
    const published = ['a', 'b', 'c'].map((id) => queue.publish(event(id)));
    expect(batches).toEqual([['a'], ['b']]);
    release.shift()?.();
    await expect.poll(() => batches).toEqual([['a'], ['b'], ['c']]);
    for (const resolve of release.splice(0)) resolve();
    expect(await Promise.all(published)).toEqual([
      { row: { id: 'a' } },
      { row: { id: 'b' } },
      { row: { id: 'c' } },
    ]);
  });

  test('an event the database refuses fails only its own publish, not those that shared its statement', async () => {
    const { batches, release, store } = heldStore((entry) => entry.id === 'bad');
    const queue = new PublishQueue(store, 1);
    const first = queue.publish(event('a'));
    const shared = ['b', 'bad', 'c'].map((id) =>
      queue.publish(event(id)).then(
        (row) => row,
        (error: Error) => error.message,
      ),
    );
    // Release every statement as it comes: the shared one fails, then each event goes alone.
    const releaseAll = setInterval(() => release.shift()?.(), 1);
    try {
      expect(await first).toEqual({ row: { id: 'a' } });
      expect(await Promise.all(shared)).toEqual([{ row: { id: 'b' } }, 'refused', { row: { id: 'c' } }]);
    } finally {
      clearInterval(releaseAll);
    }
    expect(batches).toEqual([['a'], ['b', 'bad', 'c'], ['b'], ['bad'], ['c']]);
  });

  test('an event the statement refused whole resolves to its refusal, the others to their rows', async () => {
    const queue = new PublishQueue(
      async (events: EventToStore[]) => ({
        rows: events.filter((entry) => entry.id !== 'big').map((entry) => ({ id: entry.id })),
        refused: new Map(events.filter((entry) => entry.id === 'big').map((entry) => [entry.id, 5000])),
      }),
      1,
    );
    expect(await Promise.all([queue.publish(event('big')), queue.publish(event('ok'))])).toEqual([
      { row: null, refused: 5000 },
      { row: { id: 'ok' } },
    ]);
  });

  test('an event the statement did not insert (idempotencyKey taken) resolves to null', async () => {
    const queue = new PublishQueue(
      async (events: EventToStore[]) => ({
        rows: events.filter((entry) => entry.id !== 'dup').map((entry) => ({ id: entry.id })),
        refused: new Map<string, number>(),
      }),
      1,
    );
    expect(await queue.publish(event('dup'))).toEqual({ row: null });
  });
});
