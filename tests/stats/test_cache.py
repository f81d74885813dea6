"""The statistics cache: fresh answers served as they are; a stale one recomputed by a single
request while the others get the previous copy (no stampede when it expires under load)."""

import time

from django.core.cache import cache

from dossiers.statistics import cache as stats_cache


def test_one_request_recomputes_a_stale_answer_the_others_get_the_old_copy(monkeypatch, settings):
    settings.STATS_CACHE_SECONDS = 60
    builds = []

    def build():
        builds.append(1)
        return f"v{len(builds)}".encode(), {"Content-Type": "text/plain"}

    now = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    assert stats_cache.serve("stats:test", build)[0] == b"v1"
    assert stats_cache.serve("stats:test", build)[0] == b"v1"  # fresh: no rebuild
    now[0] += 61  # stale
    assert cache.add("stats:test:lock", 1, 30)  # another request is recomputing it
    assert stats_cache.serve("stats:test", build)[0] == b"v1"
    assert len(builds) == 1
    cache.delete("stats:test:lock")
    assert stats_cache.serve("stats:test", build)[0] == b"v2"  # this one recomputes
    assert stats_cache.serve("stats:test", build)[0] == b"v2"
    assert len(builds) == 2


def test_answers_not_to_cache_are_not_stored(settings):
    settings.STATS_CACHE_SECONDS = 60
    assert stats_cache.serve("stats:none", lambda: None) is None
    assert cache.get("stats:none") is None


def test_a_generation_bump_refreshes_every_answer(settings):
    settings.STATS_CACHE_SECONDS = 60
    versions = iter([b"old", b"new"])

    def build():
        return next(versions), {}

    assert stats_cache.serve("stats:gen", build)[0] == b"old"
    assert stats_cache.serve("stats:gen", build)[0] == b"old"
    stats_cache.bump_generation()
    assert stats_cache.serve("stats:gen", build)[0] == b"new"
