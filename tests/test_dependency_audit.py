"""The dependency audit of the lock files (.ci/audit.py): a known vulnerability fails CI unless it is accepted
with a reason, and an audit that could not reach its advisory data fails too, never passes silently."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from web.config import ROOT

spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)

VULNERABLE = {"dependencies": [
    {"name": "flask", "version": "3.1.3", "vulns": []},
    {"name": "jinja2", "version": "3.1.2", "vulns": [
        {"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"], "aliases": ["CVE-2024-22195"], "description": "xss"}]},
]}


def test_a_known_vulnerability_fails_the_audit():
    failures, accepted, skipped = audit.verdict(VULNERABLE, {})
    assert failures == ["jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 / CVE-2024-22195 (fixed in 3.1.3)"]
    assert accepted == [] and skipped == []


def test_a_vulnerability_listed_with_a_reason_under_any_of_its_ids_is_accepted():
    reasons = audit.ignored("# why each one may stay\nCVE-2024-22195  xmlattr is never given user keys; upgrade in May\n")
    failures, accepted, _skipped = audit.verdict(VULNERABLE, reasons)
    assert failures == [] and "xmlattr is never given user keys" in accepted[0]


def test_an_ignore_line_without_a_reason_is_refused():
    with pytest.raises(audit.AuditError, match="has no reason"):
        audit.ignored("GHSA-h5c8-rqwp-cp95\n")


def test_a_package_the_advisory_source_did_not_answer_for_is_not_a_pass():
    report = {"dependencies": [{"name": "flask", "skip_reason": "Dependency not found on PyPI and could not be audited"}]}
    failures, _accepted, skipped = audit.verdict(report, {})
    assert failures == [] and len(skipped) == 1  # main() fails on any skipped package


def test_the_audit_says_not_checked_when_pypi_cannot_be_reached(tmp_path):
    unreachable = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}
    done = subprocess.run([sys.executable, str(ROOT / ".ci" / "audit.py")], env=unreachable, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == audit.UNCHECKED  # never 0: .ci/run reports it, and fails on it where it must reach PyPI
    assert "audit: NOT CHECKED" in done.stderr and "reachable" in done.stderr
    assert "no known vulnerability" not in done.stdout


def test_the_ignore_list_in_the_repository_gives_a_reason_for_each_entry():
    audit.ignored(audit.IGNORE.read_text())
