"""Packaging of what is not Python: the wheel carries templates/, static/, translations/
(with compiled catalogs) and migrations/ under ``<prefix>/share/kopz``, where
``web.config.ROOT`` finds them when Kopz runs outside a checkout. Everything else is
in pyproject.toml."""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup

HERE = Path(__file__).resolve().parent
DATA = ("templates", "static", "translations", "migrations")


def compile_catalogs() -> None:
    """Build the .mo files so an installed server speaks both languages at once."""
    for po in (HERE / "translations").glob("*/LC_MESSAGES/messages.po"):
        with po.open("rb") as f:
            catalog = read_po(f)
        with po.with_suffix(".mo").open("wb") as f:
            write_mo(f, catalog)


def data_files() -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for top in DATA:
        for path in sorted((HERE / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                rel = path.relative_to(HERE)
                groups.setdefault(str(Path("share/kopz") / rel.parent), []).append(str(rel))
    return sorted(groups.items())


compile_catalogs()
setup(data_files=data_files())
