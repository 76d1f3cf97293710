import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import type { Config } from '../config';

/**
 * OpenTelemetry for the Temporal SDK's interceptors (@temporalio/interceptors-opentelemetry):
 * off by default; TRACING=console prints spans, TRACING=otlp (or an OTEL_EXPORTER_OTLP_ENDPOINT)
 * sends them to a collector. Returns the plugin for workers and clients, or undefined when off.
 */
export function tracing(
  config: Config,
  serviceName: string,
  exporterOverride?: SpanExporter,
): OpenTelemetryPlugin | undefined {
  const mode = exporterOverride ? 'console' : (config.TRACING ?? (config.OTEL_EXPORTER_OTLP_ENDPOINT ? 'otlp' : 'off'));
  if (mode === 'off') return undefined;
  const exporter: SpanExporter =
    exporterOverride ??
    (mode === 'console'
      ? new ConsoleSpanExporter()
      : new OTLPTraceExporter({
          url: config.OTEL_EXPORTER_OTLP_ENDPOINT
            ? `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces`
            : undefined,
        }));
  const resource = new Resource({ 'service.name': serviceName });
  const spanProcessor = mode === 'console' ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter);
  // Spans of API requests and activities (outside the workflow sandbox) need a registered provider too.
  new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] }).register();
  // The SDK's plugin wires the client, activity and workflow interceptors and the workflow span sink.
  return new OpenTelemetryPlugin({ resource, spanProcessor });
}
