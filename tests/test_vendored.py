"""The vendored browser libraries (static/vendor/) are exactly the files we checked: each one's SHA-256 is in
static/vendor/SHA256SUMS, and each library has its version and licence in static/vendor/README.md."""

from __future__ import annotations

import hashlib
import re

from web.config import ROOT

VENDOR = ROOT / "static" / "vendor"
NOTES = ("README.md", "SHA256SUMS")


def _listed() -> dict[str, str]:
    sums = {}
    for line in (VENDOR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name.lstrip("*")] = digest
    return sums


def test_every_vendored_file_has_its_checksum_and_matches_it():
    on_disk = {path.relative_to(VENDOR).as_posix() for path in VENDOR.rglob("*") if path.is_file()} - set(NOTES)
    listed = _listed()
    assert on_disk == set(listed), "a vendored file without a checksum, or a checksum without its file"
    changed = [name for name, digest in listed.items() if hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() != digest]
    assert changed == []


def test_every_vendored_library_names_its_version_and_a_licence_that_is_there():
    rows = [line for line in (VENDOR / "README.md").read_text().splitlines() if line.startswith("| `")]
    libraries = {name.split("/")[0] for name in _listed() if not name.endswith(("LICENSE", "LICENSE.txt"))}
    named = set()
    for row in rows:
        file, _library, version, licence, _source = (cell.strip() for cell in row.strip("|").split("|"))
        named.add(re.match(r"`([^`/]+)", file).group(1))
        assert re.fullmatch(r"\d+\.\d+\.\d+", version)
        assert (VENDOR / re.search(r"`([^`]+)`", licence).group(1)).is_file()
    assert libraries == named
