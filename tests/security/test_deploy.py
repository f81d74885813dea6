"""The deployment posture: transport-security headers in production mode, and static analysis
(bandit) reporting nothing that is not explained. ``manage.py check --deploy`` in production
mode is tests/portal/test_modes.py::test_production_mode_passes_check_deploy."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("portal", "procedures", "dossiers", "postal", "signatures")
HERE = Path(__file__).resolve().parent

PROBE = r"""
import json
import django
django.setup()
from django.test import Client
client = Client()
http = client.get("/procedures/")
https = client.get("/healthz", secure=True)
print("PROBE" + json.dumps({
    "redirect": [http.status_code, http.get("Location", "")],
    "headers": dict(https.headers),
}))
from django.conf import settings
print("PROBE" + json.dumps({
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_secure": settings.CSRF_COOKIE_SECURE,
    "session_httponly": settings.SESSION_COOKIE_HTTPONLY,
}))
"""


def production_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="portal.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="testserver,portal.example.vn",
    )
    return env


def test_production_mode_sends_the_transport_security_headers():
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=production_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    probes = [
        json.loads(line[5:]) for line in result.stdout.splitlines() if line.startswith("PROBE")
    ]
    first, cookies = probes
    assert first["redirect"][0] == 301
    assert first["redirect"][1].startswith("https://")
    headers = {k.lower(): v for k, v in first["headers"].items()}
    hsts = headers["strict-transport-security"]
    assert (
        re.search(r"max-age=(\d+)", hsts) and int(re.search(r"max-age=(\d+)", hsts)[1]) >= 31536000
    )
    assert "includeSubDomains" in hsts and "preload" in hsts
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert cookies == {"session_secure": True, "csrf_secure": True, "session_httponly": True}


# --- bandit ---------------------------------------------------------------------------------


def _ruff_code(test_id: str) -> str:
    return "S308" if test_id == "B703" else "S" + test_id[1:]


def _explained_at_site(finding: dict) -> bool:
    """A ruff ``noqa: S<nnn>`` (the same check, reviewed with a reason) or bandit's ``nosec``
    on one of the lines of the flagged statement."""
    lines = (ROOT / finding["filename"]).read_text().splitlines()
    span = finding.get("line_range") or [finding["line_number"]]
    first, last = min(span) - 1, max(span) + 1
    text = "\n".join(lines[max(first - 1, 0) : last])
    return bool(re.search(rf"noqa:[^\n]*\b{_ruff_code(finding['test_id'])}\b", text)) or (
        "nosec" in text
    )


def test_bandit_reports_nothing_unexplained():
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", *APPS, "-c", str(HERE / "bandit.yaml"),
         "-f", "json", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    report = json.loads(result.stdout)
    assert not report["errors"], report["errors"]
    baseline = json.loads((HERE / "bandit-baseline.json").read_text())["explained"]
    explained = {(entry["test_id"], entry["file"]) for entry in baseline}
    for entry in baseline:
        assert entry["reason"].strip(), entry
    unexplained = [
        f"{f['test_id']} {f['filename']}:{f['line_number']} {f['issue_text']}"
        for f in report["results"]
        if (f["test_id"], f["filename"]) not in explained and not _explained_at_site(f)
    ]
    assert not unexplained, (
        "bandit findings without an explanation (fix them, or explain them at the site with "
        "`# noqa: S<nnn> - why` or in tests/security/bandit-baseline.json):\n"
        + "\n".join(unexplained)
    )
    # The baseline holds no stale entries.
    found = {(f["test_id"], f["filename"]) for f in report["results"]}
    stale = sorted(explained - found)
    assert not stale, f"bandit-baseline.json explains findings that no longer exist: {stale}"
