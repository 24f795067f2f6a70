"""The one error type domain operations raise."""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the operation.

    ``message`` is a lazily translated string, shown in the user's language;
    ``field`` names the form field it belongs to, when there is one.
    """

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
