"""CSV answers: UTF-8 that spreadsheet apps read, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from flask import make_response

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str | int:
    """Numbers stay numbers; text that starts like a formula is made text with a leading quote."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable], status: int = 200):
    """A CSV download; private (the koperasi's own figures), never kept in a shared cache."""
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet apps read the names as UTF-8
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
    response = make_response(out.getvalue(), status)
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
