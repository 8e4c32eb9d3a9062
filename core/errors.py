"""Domain errors: every rule a service enforces fails with a stable ``code``.

Fronts render the code their own way (GraphQL payload error, SMS reply, chat message, form
error). ``NotFound`` is also what a caller gets for a row it may not see: denied rows look
exactly like missing ones.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no. ``code`` is stable and machine-readable; ``field`` names the input."""

    default_message = "The request cannot be carried out."

    def __init__(self, code: str, message: str | None = None, *, field: str | None = None,
                 data: dict | None = None) -> None:
        self.code = code
        self.field = field
        self.message = message or self.default_message
        self.data = data or {}
        super().__init__(f"{code}: {self.message}")


class NotFound(DomainError):
    default_message = "Not found."

    def __init__(self, what: str = "object", *, field: str | None = "id") -> None:
        super().__init__("not_found", f"No such {what}.", field=field)


class PermissionDenied(DomainError):
    default_message = "You are not allowed to do that."

    def __init__(self, message: str | None = None) -> None:
        super().__init__("forbidden", message)


class ValidationFailed(DomainError):
    """Input that can never be right (malformed, out of range)."""

    def __init__(self, field: str, message: str, code: str = "invalid") -> None:
        super().__init__(code, message, field=field)
