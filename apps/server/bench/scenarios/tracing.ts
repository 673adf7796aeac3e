import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BenchCluster } from '../lib/cluster.ts';
import { closedLoop, poster, publishBody, waitUntil } from '../lib/load.ts';
import { stop, waitForListeners } from '../lib/processes.ts';
import type { BenchReceiver } from '../lib/receiver.ts';
import { log, record } from '../lib/results.ts';
import { type BenchSystem, warmUp } from '../lib/systems.ts';

export type TracingOptions = { events: number; deliveries: number; reps: number };

/**
 * An OTLP/HTTP collector that takes everything and keeps nothing (it counts requests and bytes): what
 * the exporters send to is beside the point, what producing and sending the spans costs is the point.
 */
async function startOtlpSink() {
  let requests = 0;
  let bytes = 0;
  const server = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    request.on('error', () => {});
    request.on('end', () => {
      requests += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => ({ requests, bytes }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * What tracing costs (issue 19: within 10 %): Ricochet with OpenTelemetry off, then on (every trace
 * recorded, OTEL_TRACES_SAMPLE_RATIO=1, exported to a collector on loopback), in turns, one worker:
 * draining a backlog at fan-out 1 (a claim span per batch, a claim span and an attempt span per
 * delivery), and publishing while delivering (a publish span per event besides).
 */
export async function tracing(
  system: BenchSystem,
  cluster: BenchCluster,
  receiver: BenchReceiver,
  options: TracingOptions,
): Promise<void> {
  void cluster;
  const sink = await startOtlpSink();
  try {
    for (let turn = 1; turn <= options.reps; turn++) {
      for (const mode of ['off', 'on'] as const) {
        const env: Record<string, string> =
          mode === 'on' ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_METRIC_EXPORT_INTERVAL: '5000' } : {};
        const before = sink.stats();
        const worker = await system.startWorker(env);
        await waitForListeners(system.pool, 1);
        await warmUp(system, receiver);
        // Drain.
        await system.reset(receiver.url, 1);
        await receiver.reset();
        const total = await system.backlog(options.events);
        const t0 = performance.now();
        const drained =
          (await waitUntil(async () => (await receiver.stats()).received >= total, 180_000, 20)) &&
          (await waitUntil(async () => (await system.delivered()) >= total, 30_000, 10));
        record(
          `tracing ${mode}: drain fo1 w1`,
          drained ? total / ((performance.now() - t0) / 1000) : Number.NaN,
        );
        // Publish + deliver.
        const api = await (system.startApi as NonNullable<BenchSystem['startApi']>)(env);
        // Its start ends with the first admin's setup link (after it listens): emptying the database
        // before then would delete the user the link is for, under it.
        await waitUntil(
          async () => api.proc.lines.some((line) => /Ricochet is running|setup#token=/.test(line)),
          30_000,
          20,
        );
        const client = poster(api.baseUrl, 32, system.publishPath, system.token);
        try {
          await system.reset(receiver.url, 1);
          await closedLoop({
            concurrency: 32,
            durationMs: 10_000,
            maxCalls: 200,
            call: () => client.post(publishBody()),
          });
          await system.reset(receiver.url, 1);
          await receiver.reset();
          const t1 = Date.now();
          const load = await closedLoop({
            concurrency: 32,
            durationMs: 120_000,
            maxCalls: options.deliveries,
            call: () => client.post(publishBody()),
          });
          const all = await waitUntil(async () => (await receiver.stats()).received >= load.ok, 180_000, 20);
          const stats = await receiver.stats();
          if (!all || load.ok < options.deliveries)
            log(
              `tracing ${mode}: ${load.ok} of ${options.deliveries} publishes accepted (${load.errors5xx} 5xx, ${load.otherErrors} other; first refused: ${client.failures.first ?? 'none'}; first thrown: ${load.firstThrown ?? 'none'}), ${stats.received} received; the API's last lines:\n${api.proc.lines.slice(-15).join('\n')}`,
            );
          record(
            `tracing ${mode}: publish+deliver fo1 w1`,
            all ? (stats.received / (stats.lastAt - t1)) * 1000 : Number.NaN,
          );
        } finally {
          await client.close();
          await stop(api.proc);
        }
        await stop(worker);
        const after = sink.stats();
        record(`tracing ${mode}: OTLP requests`, after.requests - before.requests);
        record(`tracing ${mode}: OTLP MB`, (after.bytes - before.bytes) / 1e6);
        log(
          `tracing ${mode}, turn ${turn}: ${after.requests - before.requests} OTLP requests, ${((after.bytes - before.bytes) / 1e6).toFixed(1)} MB`,
        );
      }
    }
  } finally {
    await sink.close();
  }
}
