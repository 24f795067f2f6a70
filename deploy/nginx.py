"""nginx's configuration for Kopz, generated from deploy/nginx.conf.template.

    python -m deploy.nginx --upstream 10.0.0.5:8000 --upstream 10.0.0.6:8000 --listen 80 \\
        --static-build /srv/kopz/instance/static-build --media /srv/kopz/media --run-dir /var/lib/kopz-nginx \\
        > /etc/nginx/nginx.conf

The loopback cluster (``python -m deploy.cluster up``) writes its own with the same function.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from web.config import COOKIE_PREFIX, HOST_SESSION_COOKIE, INSTANCE, ROOT
from web.i18n import LANG_COOKIE
from web.replica import FRESH_COOKIE
from web.security import HSTS, every_answer
from web.sessions import LEGACY_REMEMBER_COOKIE

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
# A request with any of these goes past the page cache: a session (production's name, and the plain one
# of development and the tests), the old remember-me cookie, and "this client just wrote" (web/replica.py).
PRIVATE_COOKIES = (HOST_SESSION_COOKIE, "session", LEGACY_REMEMBER_COOKIE, COOKIE_PREFIX + FRESH_COOKIE, FRESH_COOKIE)


def file_headers(indent: str) -> str:
    """nginx's add_header lines for the files it serves itself: the headers the app's pages and WhiteNoise's
    files carry (web/security.py), and HSTS over https. Written in each location that has its own add_header,
    since nginx then inherits none from the server."""
    lines = [f'add_header {name} "{value}" always;' for name, value in every_answer().items()]
    lines.append("add_header Strict-Transport-Security $kopz_hsts always;")
    return "\n".join(indent + line for line in lines)


def render(upstreams: list[str], listen: str, run_dir: Path, static_build: Path, media: Path,
           static: Path = ROOT / "static", user: str | None = "www-data") -> str:
    """The whole nginx.conf: ``upstreams`` are the app instances' host:port."""
    values = {
        "upstreams": "\n".join(f"        server {address} max_fails=1 fail_timeout=5s;" for address in upstreams),
        "listen": listen,
        "run_dir": str(run_dir),
        "static_build": str(static_build),
        "static": str(static),
        "media": str(media),
        "user": f"user {user};" if user else "",
        "private_cookies": "|".join(PRIVATE_COOKIES),
        "lang_cookie": f"(?:{COOKIE_PREFIX})?{LANG_COOKIE}",
        "hsts": HSTS,
    }
    text = re.sub(r"^( *)\{\{file_headers\}\}$", lambda found: file_headers(found.group(1)), TEMPLATE.read_text(),
                  flags=re.MULTILINE)
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    return text


def prepare(run_dir: Path, user: str | None) -> None:
    """The folders nginx's workers write (temporary bodies, the page cache), owned by its user."""
    import shutil

    for sub in ("nginx-tmp", "nginx-cache"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
        if user:
            shutil.chown(run_dir / sub, user, user)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream", action="append", required=True, help="an app instance's host:port (repeat)")
    parser.add_argument("--listen", default="80")
    parser.add_argument("--run-dir", type=Path, default=Path("/var/lib/kopz-nginx"))
    parser.add_argument("--static-build", type=Path, default=INSTANCE / "static-build")
    parser.add_argument("--media", type=Path, default=INSTANCE / "media", help="MEDIA_DIR (its public/ folder is served)")
    parser.add_argument("--user", default="www-data")
    args = parser.parse_args()
    print(render(args.upstream, args.listen, args.run_dir, args.static_build, args.media, user=args.user), end="")


if __name__ == "__main__":
    main()
