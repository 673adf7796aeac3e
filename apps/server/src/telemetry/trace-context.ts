// What Ricochet's code needs of tracing: the OpenTelemetry API only (no SDK), so with tracing off
// (no SDK registered, see sdk.ts) every span is the API's no-op and costs next to nothing.
import {
  type Context,
  isSpanContextValid,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  type SpanOptions,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';

let enabled = false;

/**
 * Whether the SDK is registered (sdk.ts). While it is not, nothing is traced and no traceparent is
 * stored or sent: the API's no-op tracer hands back its parent's context, which would otherwise
 * carry a caller's (or a stored) traceparent on as if it were Ricochet's.
 */
export function tracingEnabled(): boolean {
  return enabled;
}

export function setTracingEnabled(on: boolean): void {
  enabled = on;
}

/** The tracer of every Ricochet span (the API's no-op until sdk.ts registers a provider). */
export function tracer(): Tracer {
  return trace.getTracer('ricochet');
}

/** The W3C `traceparent` of a span, or null for a span that is not traced (tracing off). */
export function traceparentOf(span: Span): string | null {
  if (!enabled) return null;
  const context = span.spanContext();
  if (!isSpanContextValid(context)) return null;
  return `00-${context.traceId}-${context.spanId}-${context.traceFlags.toString(16).padStart(2, '0')}`;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The span context a stored or received `traceparent` names, or undefined when there is none. */
export function spanContextOf(traceparent: string | null | undefined): SpanContext | undefined {
  const match = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!match) return undefined;
  const context: SpanContext = {
    traceId: match[1] as string,
    spanId: match[2] as string,
    traceFlags: Number.parseInt(match[3] as string, 16),
    isRemote: true,
  };
  return isSpanContextValid(context) ? context : undefined;
}

/** A context whose parent is the span a `traceparent` names (the root context when there is none). */
export function contextOf(traceparent: string | null | undefined): Context {
  const parent = spanContextOf(traceparent);
  return parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
}

/**
 * Runs `work` in a new span named `name` under `parent` (ended when it settles; an error is
 * recorded on it and thrown on). The span is the API's no-op while tracing is off.
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions,
  parent: Context,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const span = tracer().startSpan(name, options, parent);
  try {
    return await work(span);
  } catch (error) {
    markFailed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Records `error` on `span` and sets its status to ERROR. */
export function markFailed(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}
