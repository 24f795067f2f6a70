"""The one error type domain operations raise, and a collector for checks that
should report every bad field at once."""

from __future__ import annotations

from contextlib import contextmanager


class DomainError(Exception):
    """A rule refused the operation.

    ``message`` is a lazily translated string, shown in the user's language;
    ``field`` names the form field it belongs to, when there is one. ``errors``
    lists every (field, message) refused together (the first one is ``field``,
    ``message``), so a form can show them all after one submit.
    """

    def __init__(self, message, field: str | None = None, errors: list | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.errors = errors or [(field, message)]


REASON_MIN = 5  # a reason staff must give: at least a word or two


def reason_given(text: str | None, message, field: str = "reason", most: int = 200) -> str:
    """A reason typed by staff (a correction, a write-off, a reopening), its spaces folded and
    cut at ``most`` characters; shorter than ``REASON_MIN`` it is refused with ``message``."""
    folded = " ".join((text or "").split())
    if len(folded) < REASON_MIN:
        raise DomainError(message, field=field)
    return folded[:most]


class Checks:
    """Collects the refusals of independent checks; ``done()`` raises them together.

        checks = Checks()
        if not name:
            checks.fail(_l("Enter the name."), "name")
        with checks.catching():      # an operation that raises DomainError itself
            mobile = normalize_mobile(raw)
        checks.done()
    """

    def __init__(self) -> None:
        self.errors: list[tuple[str | None, object]] = []

    def fail(self, message, field: str | None = None) -> None:
        self.errors.append((field, message))

    def failed(self, field: str) -> bool:
        """Was ``field`` already refused (so a check that builds on it is pointless)?"""
        return any(name == field for name, _message in self.errors)

    @contextmanager
    def catching(self):
        try:
            yield
        except DomainError as error:
            self.errors.extend(error.errors)

    def done(self) -> None:
        if self.errors:
            field, message = self.errors[0]
            raise DomainError(message, field=field, errors=list(self.errors))
