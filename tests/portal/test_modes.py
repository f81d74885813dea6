"""The three ways the portal starts: embedded default, production, and the test setup."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "x" * 20 + "-a-long-random-production-secret-key-0123456789"


def run_manage(*args: str, env: dict[str, str], timeout: int = 240) -> subprocess.CompletedProcess:
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "REDIS_URL", "CELERY_", "DJANGO_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_production_mode_passes_check_deploy():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": STRONG_KEY,
            "DJANGO_ALLOWED_HOSTS": "dichvucong.lamdong.gov.vn",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_mode_refuses_the_development_secret_key():
    result = run_manage("check", env={"DJANGO_DEBUG": "0"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_embedded_default_boots_on_sqlite_and_serves_pages(tmp_path):
    script = (
        "import django, os; django.setup();"
        "from django.conf import settings;"
        "from django.core.management import call_command;"
        "assert settings.DATABASES['default']['ENGINE'].endswith('sqlite3');"
        "assert settings.CELERY_TASK_ALWAYS_EAGER;"
        "call_command('migrate', verbosity=0);"
        "from django.test import Client; c = Client();"
        "r1 = c.get('/healthz'); r2 = c.get('/');"
        "print(r1.status_code, r2.status_code, r1.content.decode())"
    )
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "REDIS_URL", "CELERY_", "DJANGO_"))
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={
            **base,
            "VAR_DIR": str(tmp_path / "var"),  # absent, as in a fresh clone
            "DJANGO_SETTINGS_MODULE": "portal.settings",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("200 200 ok")
    assert (tmp_path / "var" / "db.sqlite3").exists()


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
