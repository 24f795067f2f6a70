"""The dependency audit: every package pinned in the lock files, checked by pip-audit against the
advisory data of PyPI (its JSON API, which carries the OSV records of the Python advisory database).

    python .ci/audit.py            # from the checkout; `make audit`, and .ci/run before the tests

Exit 1 (failed) on:
- a known vulnerability in a locked version, unless .ci/audit-ignore lists its id (or an alias) with a reason;
- a line of .ci/audit-ignore without a reason.

Exit 3 (not checked) when the advisory data could not be had: pip-audit could not run, or could not
check some package (it answers "skipped" and exit 0 when the source is unreachable or does not know
the version). That is no audit, so it is never reported as a pass; `.ci/run` fails on it where
``KOPZ_AUDIT_REQUIRED=1`` (a release machine that reaches pypi.org) and elsewhere prints it in its
summary. (The machines these sessions run on reach PyPI's per-project JSON but not the per-version
one pip-audit reads, nor api.osv.dev.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ("requirements.lock", "requirements-test.lock", "requirements-perf.lock")
IGNORE = ROOT / ".ci" / "audit-ignore"


FAILED, UNCHECKED = 1, 3


class AuditError(Exception):
    """The ignore list itself is wrong."""


class Unreachable(Exception):
    """pip-audit could not run against the advisory data."""


def ignored(text: str) -> dict[str, str]:
    """{advisory id: reason} from the ignore file: one ``ID  reason`` a line, ``#`` comments."""
    reasons = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(maxsplit=1)
        if len(parts) < 2:
            raise AuditError(f"{IGNORE.name} line {number}: {parts[0]} has no reason; say why it may stay")
        reasons[parts[0]] = parts[1]
    return reasons


def verdict(report: dict, reasons: dict[str, str]) -> tuple[list[str], list[str], list[str]]:
    """(failures, accepted, skipped) as printable lines, from pip-audit's JSON report."""
    failures, accepted, skipped = [], [], []
    for dependency in report.get("dependencies", []):
        name = f"{dependency['name']} {dependency.get('version', '')}".strip()
        if "skip_reason" in dependency:
            skipped.append(f"{name}: {dependency['skip_reason']}")
            continue
        for vuln in dependency.get("vulns", []):
            ids = [vuln["id"], *vuln.get("aliases", [])]
            known = next((i for i in ids if i in reasons), None)
            line = f"{name}: {' / '.join(ids)} (fixed in {', '.join(vuln.get('fix_versions') or ['nothing yet'])})"
            if known:
                accepted.append(f"{line}: accepted, {reasons[known]}")
            else:
                failures.append(line)
    return failures, accepted, skipped


def run_pip_audit(locks: list[Path] | tuple[Path, ...]) -> dict:
    """pip-audit's JSON report on the pinned, hashed lock files (no resolving, no install)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        args = [sys.executable, "-m", "pip_audit", "--disable-pip", "--require-hashes", "--vulnerability-service", "pypi",
                "--format", "json", "--progress-spinner", "off", "--output", str(out)]
        for lock in locks:
            args += ["--requirement", str(lock)]
        done = subprocess.run(args, capture_output=True, text=True)
        if not out.exists():
            last = done.stderr.strip().splitlines()[-1:] or ["no output"]
            raise Unreachable(f"pip-audit could not run (exit {done.returncode}), is pypi.org reachable? {last[0]}")
        return json.loads(out.read_text())


def main() -> int:
    try:
        reasons = ignored(IGNORE.read_text() if IGNORE.exists() else "")
        report = run_pip_audit([ROOT / lock for lock in LOCKS])
    except AuditError as error:
        print(f"audit: FAILED: {error}", file=sys.stderr)
        return FAILED
    except Unreachable as error:
        print(f"audit: NOT CHECKED: {error}", file=sys.stderr)
        return UNCHECKED
    failures, accepted, skipped = verdict(report, reasons)
    checked = len(report.get("dependencies", [])) - len(skipped)
    for line in accepted:
        print(f"audit: {line}")
    if skipped:
        print(f"audit: NOT CHECKED: {len(skipped)} of {checked + len(skipped)} locked packages could not be checked "
              "(is https://pypi.org/pypi/<name>/<version>/json reachable from here?); the first:", file=sys.stderr)
        for line in skipped[:5]:
            print(f"  {line}", file=sys.stderr)
    if failures:
        print(f"audit: FAILED: {len(failures)} known vulnerabilities in locked packages (upgrade, `make lock`; or list "
              f"the id with a reason in .ci/{IGNORE.name}):", file=sys.stderr)
        for line in failures:
            print(f"  {line}", file=sys.stderr)
    if failures:
        return FAILED
    if skipped:
        return UNCHECKED
    print(f"audit: {checked} locked packages checked, no known vulnerability"
          + (f" besides {len(accepted)} accepted" if accepted else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
