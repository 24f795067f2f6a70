"""Hostile input stops at the door, for every route and field at once.

Classes of input that would otherwise reach a validator or the database and end in a
500 are refused here with a plain 400/404/415, before any view runs:

- a NUL byte in the path, the query string, a form value or any string of a JSON
  body (PostgreSQL refuses to store or compare it);
- a whole number in an ``<int:…>`` route beyond what an id column holds (the route
  simply does not exist: 404);
- a JSON body sent to a form endpoint (Flask-WTF would turn its numbers, lists and
  nested objects into form values); only the endpoints in ``JSON_ENDPOINTS`` read JSON;
- JSON nested deeper than Python can parse (a RecursionError becomes a parse error).
"""

from __future__ import annotations

from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

# The largest id any table can hold: PostgreSQL's INTEGER. Beyond it a row cannot exist.
MAX_ID = 2**31 - 1
JSON_ENDPOINTS = frozenset({"stock_sync.sync", "push.subscribe", "push.unsubscribe", "collect.send"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class IdConverter(IntegerConverter):
    """``<int:…>``: a non-negative whole number that fits an id column, else 404."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)


class JSONProvider(DefaultJSONProvider):
    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError as error:  # deeply nested arrays/objects
            raise ValueError("JSON nested too deeply") from error


def _has_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in v for v in vs if isinstance(v, str)) for key, vs in values.lists())


def _json_has_nul(body) -> bool:
    stack = [body]
    while stack:  # not recursive: the parser already bounds the depth, this keeps to it
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _refuse_hostile_input() -> None:
    if "\x00" in request.path or _has_nul(request.args):
        abort(400)
    if request.method in UNSAFE_METHODS:
        if request.is_json:
            if request.url_rule is not None and request.endpoint not in JSON_ENDPOINTS:
                abort(415)
            if _json_has_nul(request.get_json(silent=True)):
                abort(400)
        elif _has_nul(request.form):
            abort(400)


def install_converters(app: Flask) -> None:
    """Before any route is added: the converters the URL rules are compiled with."""
    app.url_map.converters["int"] = IdConverter


def init_app(app: Flask) -> None:
    app.json = JSONProvider(app)
    app.before_request(_refuse_hostile_input)
