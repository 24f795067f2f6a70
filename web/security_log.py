"""Security events in the application log (ASVS 16.3): a refused login (its password or its second
factor's code), an office action refused
to a role (403), a request slowed by a rate limit (429), a form without a valid CSRF token. What
a defender looks for, one line each: ``security <event> status=… method=… path=… user=… ip=…``.

Every value is written JSON-quoted, so a newline or a quote that a visitor typed into a URL cannot
start a forged log line (ASVS 16.4.1). No password, code or token is ever among the facts.
Staff actions on money, personal data and settings go to the koperasi's audit history instead
(in the database, append-only), not here."""

from __future__ import annotations

import json
import logging

from flask import Flask, g, request

log = logging.getLogger("kopz.security")

REFUSED = {403: "forbidden", 429: "throttled"}
LOGIN_STEPS = {"accounts.login": "login_refused", "security.login_code": "login_code_refused"}  # password, code
LOGIN_REFUSED = (403, 422, 429)  # disabled account, wrong password or code (or a form error), throttled


def event(name: str, **facts) -> None:
    who = getattr(g, "_login_user", None)  # the user if this request loaded one; never a new query here
    facts = {"method": request.method, "path": request.path, "user": getattr(who, "id", None),
             "ip": request.remote_addr, **facts}
    log.warning("security %s %s", name, " ".join(f"{key}={json.dumps(value)}" for key, value in facts.items()))


def _after(response):
    status = response.status_code
    if request.endpoint in LOGIN_STEPS and request.method == "POST" and status in LOGIN_REFUSED:
        event(LOGIN_STEPS[request.endpoint], status=status)
    elif status in REFUSED:
        event(REFUSED[status], status=status)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_after)
