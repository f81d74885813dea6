"""The WSGI module (portal/wsgi.py) freezes what the application loaded and collects the
youngest generation less often (``GC_GEN0_THRESHOLD``); 0 keeps CPython's defaults."""

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = "import gc, portal.wsgi; print(gc.get_threshold()[0], gc.get_freeze_count() > 1000)"


def _load(threshold: str) -> str:
    env = {**os.environ, "GC_GEN0_THRESHOLD": threshold}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize("threshold", ["12345", "20000"])
def test_loading_the_application_freezes_it_and_raises_the_threshold(threshold):
    assert _load(threshold) == f"{threshold} True"


def test_zero_keeps_the_interpreters_defaults():
    assert _load("0") == f"{gc.get_threshold()[0]} False"
