"""The published SDK's ``sentrial.otel``, plus the export the other way.

``SentrialSpanProcessor`` and ``setup_otel_tracing`` bring OpenTelemetry
GenAI spans into Sentrial; ``export_to_otlp`` sends Sentrial sessions out as
OTel spans. See :mod:`sentrial.integrations.otel`.
"""

from __future__ import annotations

from ._client import SentrialClient
from .integrations.otel import (
    OTLPSessionExporter,
    SentrialSpanProcessor,
    export_to_otlp,
    setup_otel_tracing,
)

__all__ = [
    "OTLPSessionExporter",
    "SentrialClient",
    "SentrialSpanProcessor",
    "export_to_otlp",
    "setup_otel_tracing",
]
