"""The project's exceptions. None of them knows HTTP.

The domain (``nova.compute``), the store (``nova.db``) and policy raise
these; the API layer turns each into a fault in one place
(``nova.api.errors``, a registry by class), so the same error reads the
same in every route. The message is what the client is told: it names the
thing to fix and never carries a secret.

``StartupError`` is the odd one out: the process cannot serve at all (a
config file, an option, the paste file); its message is for the operator.
"""


class NovaError(Exception):
    """Something the caller asked for cannot be done as asked."""

    message = "An unknown error occurred."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class Invalid(NovaError):
    """The request is malformed or names something that cannot be used."""

    message = "Bad request."


class NotFound(NovaError):
    """What the request names does not exist (or is not the caller's)."""

    message = "The resource could not be found."


class Conflict(NovaError):
    """The request is valid but clashes with the current state."""

    message = "There was a conflict when trying to complete your request."


class ConcurrentUpdate(Conflict):
    """Another request changed the same row between our read and write."""

    message = ("The resource was changed by another request at the same "
               "time; try again.")


class Forbidden(NovaError):
    """The caller may not do this."""

    message = "Policy doesn't allow this operation to be performed."


class PolicyNotAuthorized(Forbidden):
    """A policy rule refused the caller."""

    def __init__(self, rule: str) -> None:
        super().__init__(f"Policy doesn't allow {rule} to be performed.")
        self.rule = rule


class QuotaExceeded(Forbidden):
    """Over a quota; ``resources`` names what was over."""

    def __init__(self, message: str, resources=()) -> None:
        super().__init__(message)
        self.resources = tuple(resources)


class NotSupported(NovaError):
    """The driver behind the API does not do this (upstream's 501)."""

    message = "The requested functionality is not supported."


class Unavailable(NovaError):
    """A service this one needs (the database) does not answer now."""

    message = "The service is temporarily unavailable; try again later."


class SchemaOutOfDate(Unavailable):
    """The database schema is older (or newer) than this code."""


class StartupError(RuntimeError):
    """The API cannot start; the message says what to fix."""
