"""Arguments of the published SDK (0.6.0) mapped onto ours: ``pii``,
``batching`` and ``langfuse`` of ``SentrialClient``. None of them raises."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("sentrial")


def compat_options(options: dict[str, Any], *, pii: Any, batching: Any, langfuse: Any) -> None:
    """Add to ``options`` what ``pii``/``batching`` ask for (explicit options win)."""
    if pii is True:
        # The server's settings, asked from the delivery thread (safe default until then).
        from .redact import ServerPiiMask

        options.setdefault("mask", ServerPiiMask())
    elif callable(pii):
        options.setdefault("mask", pii)
    elif pii not in (None, False):
        from .redact import PiiConfig

        if isinstance(pii, dict):
            try:
                pii = PiiConfig(**pii)
            except TypeError as exc:
                logger.warning("sentrial: pii: %s (ignored)", exc)
                pii = None
        if isinstance(pii, PiiConfig):
            if pii.enabled:
                options.setdefault("mask", pii.masker())
        elif pii is not None:
            logger.warning("sentrial: pii: expected True, a PiiConfig or a callable (ignored)")
    if batching is not None and not isinstance(batching, bool):
        # Ours always batches in the background; a BatcherConfig tunes how often.
        interval = getattr(batching, "flush_interval", None)
        if isinstance(batching, dict):
            interval = batching.get("flush_interval")
        if isinstance(interval, (int, float)) and not isinstance(interval, bool) and interval > 0:
            options.setdefault("flush_interval", float(interval))
    if langfuse is not None and not callable(getattr(langfuse, "mirror", None)):
        logger.warning("sentrial: langfuse= expects a LangfuseIntegration (ignored)")
