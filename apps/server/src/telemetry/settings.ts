// OpenTelemetry's settings, apart from the SDK (sdk.ts), so reading them loads none of it.
import type { Config } from '../config.ts';

export type TelemetrySettings = {
  /** The collector's base URL: traces go to `<endpoint>/v1/traces`, metrics to `<endpoint>/v1/metrics`. */
  endpoint: string;
  serviceName: string;
  /** The share of new traces recorded (a trace continues its parent's decision). */
  sampleRatio: number;
  metricIntervalMs: number;
};

export function telemetrySettingsFrom(config: Config): TelemetrySettings | undefined {
  if (config.OTEL_EXPORTER_OTLP_ENDPOINT === undefined) return undefined;
  return {
    endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
    serviceName: config.OTEL_SERVICE_NAME,
    sampleRatio: config.OTEL_TRACES_SAMPLE_RATIO,
    metricIntervalMs: config.OTEL_METRIC_EXPORT_INTERVAL,
  };
}
