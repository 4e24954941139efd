"""Every error Theodolite raises on purpose: one base class, one subclass per domain.

`server/errors.py` is the one place that turns these into HTTP responses, using `http_status`.
"""


class TheodoliteError(Exception):
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequestError(TheodoliteError):
    """The client sent something we cannot read (bad body, bad parameter)."""

    http_status = 400


class PayloadTooLargeError(TheodoliteError):
    http_status = 413


class UnsupportedMediaTypeError(TheodoliteError):
    http_status = 415


class AuthenticationError(TheodoliteError):
    http_status = 401


class ForbiddenError(TheodoliteError):
    """Signed in, but the role (or a missing CSRF token) does not allow this request."""

    http_status = 403


class NotFoundError(TheodoliteError):
    http_status = 404


class RateLimitedError(TheodoliteError):
    """Too many attempts (sign-in); the client may try again after `retry_after_s` seconds."""

    http_status = 429

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class OverloadedError(TheodoliteError):
    """The ingest queue is full; the client should retry after `retry_after_s` seconds."""

    http_status = 429

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ShuttingDownError(TheodoliteError):
    http_status = 503

    def __init__(self, message: str, retry_after_s: int = 5) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class StorageError(TheodoliteError):
    """The database failed; the data of the failed commit was not acknowledged."""

    http_status = 503


class ConfigurationError(TheodoliteError):
    """A setting is invalid; raised at start, shown by the CLI without a traceback."""
