"""E-mail out, by SMTP configured from the environment: SMTP_HOST, SMTP_PORT (587), SMTP_USER,
SMTP_PASSWORD, SMTP_FROM, SMTP_STARTTLS (1 unless 0). Without SMTP_HOST (development) each message
is written to the log instead (in production only that it was not sent: a reset code stays out of logs).

Sent on a thread of its own, so a page that sends a mail (a reset code) answers as fast as one that
does not: whoever asks cannot tell from the time whether an account exists."""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger(__name__)


def _send(cfg: dict, message: EmailMessage) -> None:
    try:
        with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=30) as smtp:
            if cfg["SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())  # the server's certificate and name checked
            if cfg["SMTP_USER"]:
                smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        log.exception("mail to %s not sent", message["To"])


def send_mail(to: str, subject: str, body: str) -> threading.Thread | None:
    """Send a plain-text mail (or log it without SMTP_HOST). Returns the sending thread."""
    cfg = {k: current_app.config.get(k) for k in ("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD",
                                                  "SMTP_FROM", "SMTP_STARTTLS")}
    message = EmailMessage()
    message["From"] = cfg["SMTP_FROM"] or "Kopz <no-reply@localhost>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if not cfg["SMTP_HOST"]:
        if current_app.config["KOPZ_ENV"] == "production":  # a reset code must not land in a log
            log.error("SMTP_HOST not set: mail to %s not sent", to)
        else:
            log.warning("SMTP_HOST not set: mail not sent, here it is:\n%s", message.as_string())
        return None
    thread = threading.Thread(target=_send, args=(cfg, message), daemon=True, name="kopz-mail")
    thread.start()
    return thread
