"""CPU time per warm request of the authenticated list pages, in one process (no server, no wrk).

Deterministic enough to compare two versions on a busy machine (``time.process_time`` counts
this process only), where ``make bench`` ratios move with the neighbours' load. Uses the
database ``make bench`` built (``BENCH_DB``, reuse it with ``BENCH_REUSE=1``), the same users
and URLs, production settings (DEBUG off, Redis cache) and the Django test client.

    python bench/inprocess.py                      # CPU ms, wall ms and queries per request
    python bench/inprocess.py profile              # cProfile (CPU clock) of each URL
    python bench/inprocess.py once desk /desk/?page=1 100   # N requests of one URL, for
        # PYTHONHASHSEED=0 valgrind --tool=callgrind: (I(100) - I(0)) / 100 per request

Environment: BENCH_DB (motcua_bench), BENCH_REDIS_URL (redis://127.0.0.1:6379/12),
BENCH_INPROCESS_N (500), STATIC_ROOT (var/bench-static, collected by ``make bench``).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/"
        + os.environ.get("BENCH_DB", "motcua_bench"),
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"),
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13"),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "AXES_ENABLED": "0",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
        "STATIC_ROOT": os.environ.get("STATIC_ROOT", str(ROOT / "var" / "bench-static")),
    }
)

URLS = [(None, "/healthz"), ("desk", "/desk/?page=1"), ("desk", "/desk/?page=50")]
URLS.append(("citizen", "/dossiers/"))


def client_as(found: dict, who: str | None):
    from django.test import Client

    client = Client()
    if who:
        name, value = found[f"{who}_cookie"].split("=", 1)
        client.cookies[name] = value
    return client


def main() -> None:
    import django

    django.setup()
    from django.db import connection

    from bench.run import fixtures

    found = fixtures()
    mode = sys.argv[1] if len(sys.argv) > 1 else "time"
    if mode == "once":
        who, url, n = sys.argv[2], sys.argv[3], int(sys.argv[4])
        client = client_as(found, who)
        for _ in range(5 + n):
            client.get(url, secure=True)
        return
    n = int(os.environ.get("BENCH_INPROCESS_N") or 500)
    for who, url in URLS:
        client = client_as(found, who)
        for _ in range(10):
            response = client.get(url, secure=True)
            if response.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code}")
        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(url, secure=True)
        if mode == "profile":
            import cProfile
            import pstats

            profile = cProfile.Profile(time.process_time)
            profile.enable()
            for _ in range(n):
                client.get(url, secure=True)
            profile.disable()
            print("=====", url)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
            continue
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(n):
            client.get(url, secure=True)
        cpu = (time.process_time() - cpu) / n * 1000
        wall = (time.perf_counter() - wall) / n * 1000
        print(
            f"{url:16s} cpu {cpu:6.2f} ms  wall {wall:6.2f} ms  queries {len(queries)}"
            f"  bytes {len(response.content)}"
        )


if __name__ == "__main__":
    main()
