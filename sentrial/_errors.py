"""Exceptions the SDK raises, only when asked to (``fail_silently=False``)."""

from __future__ import annotations


class SentrialError(Exception):
    """Base class of every error the SDK raises."""


class ConfigurationError(SentrialError):
    """A configuration value is missing or invalid; the message names it."""


class ValidationError(SentrialError):
    """An argument cannot be recorded as given; the message names it."""


class APIError(SentrialError):
    """The API refused or failed a request."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class AuthenticationError(APIError):
    """The API key is missing or wrong (401) or lacks permission (403)."""


class DeliveryError(APIError):
    """The API could not be reached, or kept failing, within the time allowed."""
