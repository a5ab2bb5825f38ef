"""OpenTelemetry tracing, set up in each worker after it forks (never in a preloading master)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from service_common.settings import get_settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter


def tracer_provider(exporter: SpanExporter | None = None) -> TracerProvider | None:
    """A provider sampling at `OTEL_TRACES_SAMPLER_ARG`, exporting over OTLP when an endpoint is set.

    Returns None when tracing is off. Tests pass an in-memory `exporter`; services pass the
    provider to the official instrumentors rather than relying on the global one.
    """
    settings = get_settings()
    if not settings.tracing_enabled:
        return None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    resource = Resource.create(
        {"service.name": f"observatory-{settings.framework}", "observatory.profile": settings.profile}
    )
    provider = TracerProvider(resource=resource, sampler=ParentBased(TraceIdRatioBased(settings.trace_sample_ratio)))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def install_global(provider: TracerProvider | None) -> None:
    """Make `provider` the process's global tracer provider (once per worker)."""
    if provider is None:
        return
    from opentelemetry import trace

    trace.set_tracer_provider(provider)
