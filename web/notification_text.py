"""PLACEHOLDER on the push branch: the notifications work replaces this module at merge.

``render(note)`` makes a notification's text in the active language (call it inside
``flask_babel.force_locale``): an object with ``.title`` and ``.body``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    title: str
    body: str


def render(note) -> Text:
    """The notification's title and one sentence (placeholder: the kind and its params)."""
    params = ", ".join(f"{k}: {v}" for k, v in sorted((note.params or {}).items()))
    return Text(title="Kopz", body=f"{note.kind} {params}".strip())
