"""``portal.paths.path_for`` gives what ``reverse()`` gives, from a template made once."""

import pytest
from django.urls import reverse, set_script_prefix

from portal import paths
from portal.paths import path_for

CASES = [
    ("api-dossier-detail", ("H36.39-261207-0001",)),
    ("api-dossier-attachment", ("H36.39-261207-0001", 42)),
    ("documents:latest", ("000.00.36.H36-261207-0002", "receipt")),
    ("healthz", ()),
]


@pytest.fixture(autouse=True)
def _fresh_templates():
    paths._template.cache_clear()
    yield
    set_script_prefix("/")
    paths._template.cache_clear()


@pytest.mark.parametrize(("name", "args"), CASES)
def test_the_path_is_reverses(name, args):
    assert path_for(name, *args) == reverse(name, args=args)
    assert path_for(name, *args) == reverse(name, args=args)  # from the template


def test_one_template_serves_every_argument():
    path_for("api-dossier-detail", "A-1")
    assert path_for("api-dossier-detail", "B.2_x") == reverse("api-dossier-detail", args=["B.2_x"])
    assert paths._template.cache_info().misses == 1


def test_arguments_reverse_would_quote_take_reverse(monkeypatch):
    calls = []
    real = paths.reverse
    monkeypatch.setattr(paths, "reverse", lambda *a, **k: calls.append(a) or real(*a, **k))
    assert path_for("documents:latest", "X 1ê", "receipt") == reverse(
        "documents:latest", args=["X 1ê", "receipt"]
    )
    assert calls  # not from a template


def test_the_script_prefix_is_part_of_the_template():
    plain = path_for("api-dossier-detail", "A-1")
    set_script_prefix("/motcua/")
    assert path_for("api-dossier-detail", "A-1") == "/motcua" + plain
    assert path_for("api-dossier-detail", "A-1") == reverse("api-dossier-detail", args=["A-1"])
