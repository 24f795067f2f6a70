"""Staff security at the office door: ``web.access.office`` calls ``guard`` on every office request.

- A koperasi that requires a second factor (``Koperasi.staff_second_factor``): its staff without
  one are sent to set it up (``/account/two-factor``) before any office page.
- Posting money or the books (``models.duties.CONFIRM_BEFORE``) more than ``REAUTH_AFTER`` after the
  password was last typed in the session: the answer is a "confirm your password" page that carries
  the form's fields (its idempotency key too) as hidden inputs back to the same address, with a
  password box. Nothing is posted until the password is right; then the session's
  ``authenticated_at`` is stamped, its secret renewed (a copy of the old cookie opens nothing), and
  the view runs on the re-posted form, once (the key sees to a
  second tap). Works without JavaScript; an htmx post gets the page as a whole page.
  Wrong passwords are counted (``REAUTH_FAILURE_LIMIT``); once used up, none is taken for a while.
- ``require_recent_password()``: the same for any other POST that needs it (signing out other
  devices, views/security.py).
"""

from __future__ import annotations

from flask import abort, current_app, flash, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from models import second_factor, sessions
from models.base import utcnow
from models.duties import CONFIRM_BEFORE
from web.extensions import db
from web.ratelimit import exhausted, spend
from web.render import render, see_other

FIELD = "confirm_password"
_NOT_REPOSTED = {FIELD, "csrf_token"}


def guard(here, duty: str) -> None:
    """Stop an office request that first needs the second factor set up, or the password again."""
    user = current_user._get_current_object()
    if here.koperasi.staff_second_factor and not second_factor.is_on(user):
        flash(_l("%(name)s asks its staff to log in with a second factor. Set it up to open the office.",
                 name=here.koperasi.name), "warning")
        back = request.full_path.rstrip("?") if request.method == "GET" else url_for("office.dashboard", slug=here.koperasi.slug)
        abort(see_other(url_for("security.two_factor", next=back)))
    if request.method == "POST" and duty in CONFIRM_BEFORE:
        require_recent_password()


def require_recent_password() -> None:
    """Stop a POST with the "confirm your password" page unless the password was typed in this session
    within ``REAUTH_AFTER``, or comes with the form and is right."""
    user = current_user._get_current_object()
    typed = user.authenticated_at
    if typed is None or utcnow() - typed > current_app.config["REAUTH_AFTER"]:
        answer = _confirm(user)
        if answer is not None:
            abort(answer)


def _confirm(user):
    """None when the password came with the form and is right (stamped and committed); else the page."""
    password = request.form.get(FIELD)
    if password is None:
        return _page()
    if exhausted("REAUTH_FAILURE_LIMIT", "reauth", str(user.id)):
        return _page(_l("Too many wrong passwords. Wait 15 minutes, then try again."), 429)
    if not user.check_password(password):
        spend("REAUTH_FAILURE_LIMIT", "reauth", str(user.id))
        return _page(_l("The password is not correct. Nothing was done."), 422)
    session["_user_id"] = sessions.reauthenticated(user)  # Flask-Login's key: the cookie holds the new secret
    db.session.commit()  # the view has written nothing yet; a refusal of its own must not undo this
    return None


def _page(error=None, status: int = 200):
    fields = [(name, value) for name, value in request.form.items(multi=True) if name not in _NOT_REPOSTED]
    files = sorted({name for name, upload in request.files.items(multi=True) if upload.filename})
    query = request.query_string.decode()
    response = render("accounts/confirm_password.html", status=status, fields=fields, files=files, error=error,
                      action=request.path + (f"?{query}" if query else ""), field=FIELD)
    if request.htmx:  # asked for a fragment: the whole page replaces the body instead
        response.headers.update({"HX-Retarget": "body", "HX-Reswap": "innerHTML", "HX-Push-Url": "false"})
    return response
