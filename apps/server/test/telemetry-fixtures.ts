import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

type OtlpValue = {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
};
type OtlpAttribute = { key: string; value: OtlpValue };

export type ReceivedSpan = {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean | undefined>;
  links: Array<{ traceId: string; spanId: string }>;
  status: { code?: number; message?: string };
  serviceName: string | undefined;
};

export type ReceivedPoint = { name: string; value: number; attributes: Record<string, unknown> };

function decodedValue(value: OtlpValue): string | number | boolean | undefined {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  return value.boolValue;
}

function attributesOf(attributes: OtlpAttribute[] | undefined) {
  return Object.fromEntries(
    (attributes ?? []).map((attribute) => [attribute.key, decodedValue(attribute.value)]),
  );
}

/**
 * A real OTLP/HTTP collector on loopback: takes what the official exporters POST to /v1/traces and
 * /v1/metrics (OTLP's JSON encoding, gzip or not) and decodes it into spans and metric points.
 */
export async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const points: ReceivedPoint[] = [];
  const contentTypes = new Set<string>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('error', () => {});
    request.on('end', () => {
      contentTypes.add(String(request.headers['content-type']));
      let raw = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      const body = JSON.parse(raw.toString('utf8'));
      if (request.url === '/v1/traces') {
        for (const resourceSpans of body.resourceSpans ?? []) {
          const serviceName = attributesOf(resourceSpans.resource?.attributes)['service.name'] as
            | string
            | undefined;
          for (const scope of resourceSpans.scopeSpans ?? []) {
            for (const span of scope.spans ?? []) {
              spans.push({
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId || undefined,
                name: span.name,
                kind: span.kind,
                attributes: attributesOf(span.attributes),
                links: (span.links ?? []).map((link: { traceId: string; spanId: string }) => ({
                  traceId: link.traceId,
                  spanId: link.spanId,
                })),
                status: span.status ?? {},
                serviceName,
              });
            }
          }
        }
      } else if (request.url === '/v1/metrics') {
        for (const resourceMetrics of body.resourceMetrics ?? []) {
          for (const scope of resourceMetrics.scopeMetrics ?? []) {
            for (const metric of scope.metrics ?? []) {
              const data = metric.gauge ?? metric.sum ?? { dataPoints: [] };
              for (const point of data.dataPoints ?? []) {
                points.push({
                  name: metric.name,
                  value: Number(point.asInt ?? point.asDouble ?? 0),
                  attributes: attributesOf(point.attributes),
                });
              }
            }
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    points,
    contentTypes,
    /** The latest value of a metric (optionally, with these attributes). */
    latest(name: string, attributes: Record<string, unknown> = {}): number | undefined {
      return points.findLast(
        (point) =>
          point.name === name &&
          Object.entries(attributes).every(([key, value]) => point.attributes[key] === value),
      )?.value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
