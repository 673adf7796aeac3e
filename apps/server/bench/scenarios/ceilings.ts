import { closedLoop, poster, publishBody } from '../lib/load.ts';
import type { BenchReceiver } from '../lib/receiver.ts';
import { record } from '../lib/results.ts';

/** C1: how fast any sender can POST to the receiver (undici, 100 keep-alive connections). */
export async function ceilings(receiver: BenchReceiver): Promise<void> {
  const sender = poster(receiver.url, 100, '/c1');
  const c1 = await closedLoop({
    concurrency: 100,
    durationMs: 3_000,
    call: () => sender.post(publishBody()),
  });
  await sender.close();
  record('C1 undici POST/s', (c1.ok / c1.elapsedMs) * 1000);
}
