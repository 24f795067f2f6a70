"""A browser's side of Web Push, for tests: its own key pair and auth secret, and a local
HTTP server playing the push service, which decrypts what it receives with those keys."""

from __future__ import annotations

import base64
import json
import os
import queue
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from web.push import new_keys


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Browser:
    """One browser's push keys (what ``pushManager.subscribe`` makes on a phone)."""

    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self, endpoint: str) -> dict:
        point = self.private_key.public_key().public_bytes(serialization.Encoding.X962,
                                                           serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": endpoint, "keys": {"p256dh": b64url(point), "auth": b64url(self.auth_secret)}}

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth_secret,
                                           version="aes128gcm"))


@dataclass
class Received:
    path: str
    headers: dict  # names in lower case
    body: bytes


class FakePushService:
    """Answers POSTs to /<anything>: 201, or the status given for that path (410, 500…)."""

    def __init__(self) -> None:
        self.received: queue.Queue[Received] = queue.Queue()
        self.answers: dict[str, int] = {}
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                service.received.put(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(service.answers.get(self.path, 201))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakePushService:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def next(self, timeout: float = 30) -> Received:
        """The next message the service received (waits at most ``timeout`` seconds)."""
        return self.received.get(timeout=timeout)

    def drain(self) -> list[Received]:
        out = []
        while not self.received.empty():
            out.append(self.received.get_nowait())
        return out



PUBLIC, PRIVATE = new_keys()  # the server's VAPID pair, one for the whole test run
VAPID = {"VAPID_PUBLIC_KEY": PUBLIC, "VAPID_PRIVATE_KEY": PRIVATE, "VAPID_SUBJECT": "mailto:ops@kopz.example"}


def set_vapid_keys(app, monkeypatch) -> None:
    """Push set up, as a server with VAPID keys in its environment."""
    for name, value in VAPID.items():
        monkeypatch.setitem(app.config, name, value)
