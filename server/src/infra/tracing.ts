import type { ApolloServerPlugin } from '@apollo/server';
import type { Span, Tracer } from '@opentelemetry/api';
import type { RequestHandler } from 'express';
import { safePath } from './logger.js';

/**
 * OpenTelemetry traces, off by default (docs/adr/0122-opentelemetry-traces-off-by-default.md).
 * Off, nothing of OpenTelemetry is loaded: the hooks below are a test of one variable. On
 * (OTEL_TRACES=1 or OTEL_EXPORTER_OTLP_ENDPOINT), spans go by OTLP/HTTP (JSON) to the collector:
 * one per HTTP request (its route, never a UID or a token), one per GraphQL operation (its type
 * and name), one per SQL statement (its verb, never its text or values); each log line written
 * under a span carries its trace_id and span_id.
 */
export interface TracingConfig {
  /** The collector's base URL; spans are posted to `<endpoint>/v1/traces`. */
  endpoint: string;
  serviceName: string;
}

type Api = typeof import('@opentelemetry/api');

let api: Api | undefined;
let tracer: Tracer | undefined;

export interface Tracing {
  /** Sends the spans still buffered and stops the exporter. */
  stop(): Promise<void>;
}

export async function startTracing(config: TracingConfig): Promise<Tracing> {
  const [otel, { NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${config.endpoint.replace(/\/+$/, '')}/v1/traces` }))],
  });
  // The AsyncLocalStorage context manager and the W3C traceparent propagator.
  provider.register();
  api = otel;
  tracer = otel.trace.getTracer('e-mage');
  return {
    async stop() {
      tracer = undefined;
      api = undefined;
      await provider.shutdown();
    },
  };
}

export const tracingOn = (): boolean => tracer !== undefined;

/**
 * pino's mixin: the active span's ids on every log line written under it. pino merges the line's
 * own fields into the object returned, so it is a new one each time.
 */
export function traceLogFields(): object {
  if (!api) return {};
  const span = api.trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/**
 * The request's server span, active for everything the request does; a caller's `traceparent`
 * makes it a child of the caller's span. Installed only when tracing is on.
 */
export function httpSpans(): RequestHandler {
  return (req, res, next) => {
    if (!api || !tracer) {
      next();
      return;
    }
    const otel = api;
    const parent = otel.propagation.extract(otel.context.active(), req.headers);
    const span = tracer.startSpan(
      `${req.method} ${safePath(req.originalUrl)}`,
      { kind: otel.SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': safePath(req.originalUrl) } },
      parent,
    );
    res.once('finish', () => {
      const route = (req.route as { path?: unknown } | undefined)?.path;
      if (typeof route === 'string') {
        span.setAttribute('http.route', `${req.baseUrl}${route}`);
        span.updateName(`${req.method} ${req.baseUrl}${route}`);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: otel.SpanStatusCode.ERROR });
      span.end();
    });
    res.once('close', () => {
      if (!res.writableFinished) span.end();
    });
    otel.context.with(otel.trace.setSpan(parent, span), next);
  };
}

/** A span per GraphQL operation, named after its type and name (never its variables). */
export function graphqlSpans(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      if (!tracer || !api) return {};
      const otel = api;
      const span: Span = tracer.startSpan('graphql');
      return {
        async didResolveOperation(rc) {
          const type = rc.operation?.operation ?? 'unknown';
          span.updateName(`graphql ${type} ${rc.operationName ?? '(anonymous)'}`);
          span.setAttribute('graphql.operation.type', type);
          if (rc.operationName) span.setAttribute('graphql.operation.name', rc.operationName);
        },
        async willSendResponse(rc) {
          const body = rc.response.body;
          if (body.kind === 'single' && body.singleResult.errors?.length) span.setStatus({ code: otel.SpanStatusCode.ERROR });
          span.end();
        },
      };
    },
  };
}

/** Runs a SQL statement under a span named after its verb; without tracing, just runs it. */
export function withDbSpan<T>(sql: () => string, run: () => Promise<T>): Promise<T> {
  if (!tracer || !api) return run();
  const otel = api;
  const verb = /^\s*(\w+)/.exec(sql())?.[1]?.toLowerCase() ?? 'sql';
  return tracer.startActiveSpan(`db ${verb}`, { kind: otel.SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql', 'db.operation.name': verb } }, (span) =>
    run().then(
      (result) => {
        span.end();
        return result;
      },
      (err: unknown) => {
        span.setStatus({ code: otel.SpanStatusCode.ERROR });
        span.end();
        throw err;
      },
    ),
  );
}
