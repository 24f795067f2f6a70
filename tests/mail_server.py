"""A real SMTP server on this machine (aiosmtpd) for the tests that send mail: ``inbox`` points the
app's SMTP settings at it and holds what arrived."""

from __future__ import annotations

import email
import re
import socket
import time
from email.policy import default

import pytest


class Inbox:
    """What the local SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def wait(self, count: int = 1) -> email.message.EmailMessage:
        """The ``count``-th message, once it arrived (sent on a thread of its own)."""
        for _ in range(400):
            if len(self.messages) >= count:
                return self.messages[count - 1]
            time.sleep(0.025)
        raise AssertionError(f"{count} mail(s) expected, {len(self.messages)} arrived")


@pytest.fixture
def inbox(app, monkeypatch):
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_STARTTLS": False, "SMTP_USER": "",
                       "SMTP_FROM": "Kopz <no-reply@kopz.test>"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield box
    controller.stop()


def code_in(message) -> str:
    return re.search(r"\b(\d{8})\b", message.get_content()).group(1)
