// OpenTelemetry's SDK, registered only when OTEL_EXPORTER_OTLP_ENDPOINT is set: traces (the spans of
// trace-context.ts users: publish, claim, attempt) and metrics, both sent by OTLP over HTTP. With it
// unset nothing here runs, and every span is the API's no-op.
import { metrics, trace } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { TelemetrySettings } from './settings.ts';
import { setTracingEnabled } from './trace-context.ts';

export type DeliveryFigures = {
  dueDispatches: number;
  oldestDueAgeSeconds: number;
  inFlightByHost: Array<{ host: string; calls: number }>;
  failingWebhooks: number;
  disabledWebhooks: number;
};

export type Telemetry = {
  /** Sends what is buffered now (tests, and before exiting). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
};

/**
 * Registers the SDK as the process's tracer and meter providers. `readFigures` (the database's
 * delivery health) is read once per metric export, for every gauge at once; a process that reads
 * none (the API alone) passes undefined and exports its spans only.
 */
export function startTelemetry(
  settings: TelemetrySettings,
  readFigures?: () => Promise<DeliveryFigures>,
): Telemetry {
  const base = settings.endpoint.replace(/\/+$/, '');
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: settings.serviceName,
    [ATTR_SERVICE_VERSION]: '0.1.0',
  });
  const tracerProvider = new TracerProvider({
    resource,
    sampler: new ParentBasedSampler({
      root:
        settings.sampleRatio >= 1
          ? new AlwaysOnSampler()
          : new TraceIdRatioBasedSampler(settings.sampleRatio),
    }),
    // Batched: spans wait in memory and go every second (or 2,048 at a time), never on a delivery's
    // path. The queue holds ~8 s of a worker's spans at full speed (two per delivery); a collector
    // that is down or slow loses spans beyond it, never a delivery.
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: `${base}/v1/traces` }),
        maxQueueSize: 32_768,
        maxExportBatchSize: 2_048,
        scheduledDelayMillis: 1_000,
      }),
    ],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  setTracingEnabled(true);

  const meterProvider = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics` }),
        exportIntervalMillis: settings.metricIntervalMs,
        exportTimeoutMillis: Math.min(30_000, settings.metricIntervalMs),
      }),
    ],
  });
  metrics.setGlobalMeterProvider(meterProvider);
  if (readFigures) {
    const meter = meterProvider.getMeter('ricochet');
    const due = meter.createObservableGauge('ricochet.queue.due', {
      description: 'Dispatches due for an attempt now and not in flight',
      unit: '{dispatch}',
    });
    const oldest = meter.createObservableGauge('ricochet.queue.oldest_due_age', {
      description: 'Age of the oldest due dispatch: how far delivery is behind',
      unit: 's',
    });
    const inFlight = meter.createObservableGauge('ricochet.host.calls_in_flight', {
      description: 'Calls in flight to one host:port, across every worker',
      unit: '{call}',
    });
    const failing = meter.createObservableGauge('ricochet.webhooks.failing', {
      description: 'Webhooks in a run of failures (ricochet.webhook.failing, not yet recovered)',
      unit: '{webhook}',
    });
    const disabled = meter.createObservableGauge('ricochet.webhooks.disabled', {
      description: 'Webhooks set TOO_MANY_ERRORS',
      unit: '{webhook}',
    });
    meter.addBatchObservableCallback(
      async (observer) => {
        const figures = await readFigures();
        observer.observe(due, figures.dueDispatches);
        observer.observe(oldest, figures.oldestDueAgeSeconds);
        for (const { host, calls } of figures.inFlightByHost)
          observer.observe(inFlight, calls, { 'server.address': host });
        observer.observe(failing, figures.failingWebhooks);
        observer.observe(disabled, figures.disabledWebhooks);
      },
      [due, oldest, inFlight, failing, disabled],
    );
  }
  return {
    flush: async () => {
      await tracerProvider.forceFlush();
      await meterProvider.forceFlush();
    },
    shutdown: async () => {
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
      setTracingEnabled(false);
      trace.disable();
      metrics.disable();
    },
  };
}
