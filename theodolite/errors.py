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


class ConflictError(TheodoliteError):
    """The request clashes with what is stored (a name already taken)."""

    http_status = 409


class PayloadTooLargeError(TheodoliteError):
    http_status = 413


class UnsupportedMediaTypeError(TheodoliteError):
    http_status = 415


class AuthenticationError(TheodoliteError):
    http_status = 401


class ForbiddenError(TheodoliteError):
    """The client is known but may not do this: its role does not allow it, a CSRF token is missing,
    or the endpoint is not for it."""

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


class ReadTimeoutError(TheodoliteError):
    """A read ran past its time budget (`read_timeout_s`) and was stopped; nothing was changed."""

    http_status = 503

    def __init__(self, message: str, retry_after_s: int = 5) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class StorageError(TheodoliteError):
    """The database failed; the data of the failed commit was not acknowledged."""

    http_status = 503


class ConfigurationError(TheodoliteError):
    """A setting is invalid; raised at start, shown by the CLI without a traceback."""


class NotSupportedError(TheodoliteError):
    """The store in use cannot answer this read yet (a ClickHouse trace store's trace lists)."""

    http_status = 501
